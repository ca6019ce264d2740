extension DNSMessage {
    /// Reads a message. Trailing bytes after the last record are ignored, as most resolvers do.
    public static func decode(_ bytes: [UInt8]) throws(DNSWireError) -> DNSMessage {
        var reader = DNSWireReader(bytes)
        let id = try reader.u16()
        let flags = Flags(word: try reader.u16())
        let qd = Int(try reader.u16()), an = Int(try reader.u16()), ns = Int(try reader.u16()), ar = Int(try reader.u16())
        // Reject impossible counts before reserving anything: a question takes at least 5 bytes
        // (root name, type, class), a record at least 11.
        let remaining = bytes.count - reader.offset
        if qd * 5 > remaining { throw .countExceedsMessage(section: "question", count: qd, remaining: remaining) }
        if (an + ns + ar) * 11 > remaining - qd * 5 {
            let section = an * 11 > remaining - qd * 5 ? "answer" : (an + ns) * 11 > remaining - qd * 5 ? "authority" : "additional"
            let count = section == "answer" ? an : section == "authority" ? ns : ar
            throw .countExceedsMessage(section: section, count: count, remaining: remaining)
        }
        var message = DNSMessage(id: id, flags: flags)
        message.questions.reserveCapacity(qd)
        for _ in 0..<qd {
            let name = try reader.name()
            let type = DNSRecordType(rawValue: try reader.u16())
            let questionClass = try reader.u16()
            message.questions.append(Question(name: name, type: type, questionClass: questionClass))
        }
        message.answers = try reader.records(an, section: "answer", edns: &message.edns)
        message.authorities = try reader.records(ns, section: "authority", edns: &message.edns)
        message.additionals = try reader.records(ar, section: "additional", edns: &message.edns)
        return message
    }
}
