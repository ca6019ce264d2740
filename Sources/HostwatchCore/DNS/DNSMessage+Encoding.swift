extension DNSMessage {
    /// The message on the wire, with names compressed. Throws when a field does not fit (a TXT
    /// string over 255 bytes, data over 65535, a message over 65535).
    public func encoded() throws(DNSWireError) -> [UInt8] {
        var writer = DNSWireWriter()
        writer.u16(id)
        writer.u16(flags.word)
        writer.u16(UInt16(clamping: questions.count))
        writer.u16(UInt16(clamping: answers.count))
        writer.u16(UInt16(clamping: authorities.count))
        writer.u16(UInt16(clamping: additionals.count + (edns == nil ? 0 : 1)))
        // A lone name (a query) has nothing to point at: written as it is, without the table
        // of suffixes (issue 16: a third of the cost of sending a query).
        let compress = questions.count > 1 || !answers.isEmpty || !authorities.isEmpty || !additionals.isEmpty
        for question in questions {
            writer.name(question.name, compress: compress)
            writer.u16(question.type.rawValue)
            writer.u16(question.questionClass)
        }
        for section in [answers, authorities, additionals] {
            for record in section { try writer.record(record) }
        }
        if let edns {
            writer.bytes.append(0)
            writer.u16(DNSRecordType.opt.rawValue)
            writer.u16(edns.udpPayloadSize)
            writer.u32(UInt32(edns.extendedRcode) << 24 | UInt32(edns.version) << 16 | (edns.dnssecOK ? 0x8000 : 0))
            var data: [UInt8] = []
            for option in edns.options {
                data += [UInt8(option.code >> 8), UInt8(option.code & 0xff),
                         UInt8((option.data.count >> 8) & 0xff), UInt8(option.data.count & 0xff)] + option.data
            }
            guard data.count <= 65535 else { throw .valueTooLong("EDNS0 options of \(data.count) bytes") }
            writer.u16(UInt16(data.count))
            writer.bytes += data
        }
        guard writer.bytes.count <= 65535 else { throw .valueTooLong("message of \(writer.bytes.count) bytes is over 65535") }
        return writer.bytes
    }
}
