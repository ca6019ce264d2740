/// The control panels discovery reads, each from the files (or CLI output) the panel itself
/// keeps, under `panel.root` (DESIGN.md §9). A panel says who owns a domain (the account, its
/// contact, its plan) and whether it is suspended; the web and mail servers say how it is served.
public enum PanelKind: String, Sendable, Hashable, CaseIterable {
    case cpanel, directadmin, plesk, hestia, virtualmin, none
}

extension PanelKind {
    /// A path under the panel's root: `/` and `/etc/userdomains` is `/etc/userdomains`.
    static func path(_ path: String, under root: String) -> String {
        root == "/" || root.isEmpty ? path : (root.hasSuffix("/") ? String(root.dropLast()) : root) + path
    }
}
