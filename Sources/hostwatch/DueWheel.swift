import Synchronization

/// The checks waiting for their next run, by slot of the scheduling grid: a timing wheel the
/// scheduler's loop empties slot by slot and each finished check puts itself back into.
final class DueWheel: Sendable {
    private let slotNanos: Int64
    /// Check indexes and their due time (an offset from the scheduler's origin), by slot number.
    private let slots = Mutex<[Int64: [(index: Int, at: Duration)]]>([:])

    init(slot: Duration) {
        slotNanos = max(1, slot.nanoseconds)
    }

    /// The slot holding `time`: due times fall on the grid, so a time on a slot's start is in it.
    func slotNumber(of time: Duration) -> Int64 {
        let nanos = time.nanoseconds
        return nanos >= 0 ? (nanos + slotNanos - 1) / slotNanos : 0
    }

    /// The first slot starting after `time`.
    func slotNumber(after time: Duration) -> Int64 {
        max(0, time.nanoseconds / slotNanos + 1)
    }

    /// Puts check `index` in the slot of its due time `at`.
    func add(_ index: Int, at time: Duration) {
        let number = slotNumber(of: time)
        slots.withLock { $0[number, default: []].append((index, time)) }
    }

    /// Takes every check due at or before `now`, in order of slot.
    func take(through now: Duration) -> [(index: Int, at: Duration)] {
        let last = slotNumber(after: now) - 1
        return slots.withLock { slots in
            let ready = slots.keys.filter { $0 <= last }.sorted()
            return ready.flatMap { slots.removeValue(forKey: $0) ?? [] }
        }
    }
}
