@testable import HostwatchIO
import Testing

struct ConnectionPinsTests {
    @Test func readsTheNameAndPortOfAPlainURL() {
        #expect(ConnectionPins.origin(of: "https://Shop.Test/")! == ("shop.test", 443))
        #expect(ConnectionPins.origin(of: "http://shop.test")! == ("shop.test", 80))
        #expect(ConnectionPins.origin(of: "http://shop.test:8080/health?x=1")! == ("shop.test", 8080))
        #expect(ConnectionPins.origin(of: "HTTPS://xn--bcher-kva.test#top")! == ("xn--bcher-kva.test", 443))
        // Read as the config reads it (URLParts): credentials are not part of the name.
        #expect(ConnectionPins.origin(of: "http://user:secret@shop.test/")! == ("shop.test", 80))
    }

    @Test func leavesOutWhatItCannotPinByName() {
        for url in ["http://127.0.0.1/", "http://[::1]:8080/", "ftp://shop.test/",
                    "http://shop.test:0/", "http://shop.test:99999/", "http:///", "http://sh op.test/", "http://bücher.test/"] {
            #expect(ConnectionPins.origin(of: url) == nil, "\(url)")
        }
    }

    @Test func aNameKeepsItsAddressUntilACheckWantsAnother() {
        let pins = ConnectionPins()
        #expect(pins.resolveEntry(url: "https://shop.test/", address: "127.0.0.9") == "shop.test:443:127.0.0.9")
        #expect(pins.resolveEntry(url: "https://shop.test/cart", address: "127.0.0.9") == "shop.test:443:127.0.0.9")
        // Another port is another connection: its own pin.
        #expect(pins.resolveEntry(url: "http://shop.test/", address: "::1") == "shop.test:80:[::1]")
        // The same name and port at a second address: neither check keeps its connection again.
        #expect(pins.resolveEntry(url: "https://shop.test/", address: "127.0.0.10") == nil)
        #expect(pins.resolveEntry(url: "https://shop.test/", address: "127.0.0.9") == nil)
        // A name left to libcurl's resolver is kept without an entry.
        #expect(pins.resolveEntry(url: "http://other.test/", address: nil) == "")
        #expect(pins.resolveEntry(url: "http://127.0.0.1/", address: "127.0.0.1") == nil)
    }
}
