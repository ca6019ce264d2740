import Testing
@testable import HostwatchCore

@Suite struct MountTableTests {
    static let sample = """
    22 27 0:21 / /proc rw,nosuid,nodev,noexec,relatime shared:5 - proc proc rw
    27 1 253:0 / / rw,relatime shared:1 - ext4 /dev/vda rw,errors=remount-ro
    40 27 0:39 / /srv/My\\040Sites rw,relatime shared:20 - tmpfs tmpfs rw,size=16384k
    41 27 0:40 / /var/mail ro,relatime - ext4 /dev/vdb1 ro,errors=remount-ro
    42 27 253:0 /home /home ro,nosuid,nodev,relatime shared:1 master:3 - ext4 /dev/vda rw,errors=remount-ro
    43 40 0:41 / /srv/My\\040Sites/inner rw - tmpfs tmpfs rw
    44 40 0:42 / /srv/My\\040Sites/inner rw - tmpfs tmpfs ro
    not a mountinfo line
    """

    let table = MountTable(parsing: sample)

    @Test func readsEveryWellFormedLine() {
        #expect(table.entries.count == 7)
        let root = table.entries[1]
        #expect(root.mountPoint == "/")
        #expect(root.device == "253:0")
        #expect(root.filesystemType == "ext4")
        #expect(root.source == "/dev/vda")
        #expect(root.superOptions == ["rw", "errors=remount-ro"])
    }

    @Test func decodesOctalEscapesInPaths() {
        #expect(table.entries[2].mountPoint == "/srv/My Sites")
        #expect(MountTable.unescape("a\\011b\\012c\\134d\\040") == "a\tb\nc\\d ")
        #expect(MountTable.unescape("no\\escape\\9") == "no\\escape\\9")
    }

    @Test func readOnlyMeansTheSuperblockNotThisMount() {
        let mail = table.entries[3], home = table.entries[4]
        #expect(mail.isReadOnly && mail.isMountReadOnly)
        // A read-only bind (or a ProtectSystem=strict sandbox) of a writable filesystem.
        #expect(!home.isReadOnly && home.isMountReadOnly)
    }

    @Test(arguments: [
        ("/", "/"), ("/etc/hostwatch", "/"), ("/srv/My Sites", "/srv/My Sites"), ("/srv/My Sites/a/b", "/srv/My Sites"),
        ("/srv/My Sitesx", "/"), ("/var/mail/user", "/var/mail"), ("/home", "/home"),
    ])
    func findsTheMountHoldingAPath(path: String, mountPoint: String) {
        #expect(table.entry(holding: path)?.mountPoint == mountPoint)
    }

    @Test func theLastOfStackedMountsWins() {
        #expect(table.entry(holding: "/srv/My Sites/inner/x")?.id == 44)
    }
}
