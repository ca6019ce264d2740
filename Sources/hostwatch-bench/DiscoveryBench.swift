import Foundation
import Glibc
import HostwatchCore
import HostwatchIO

/// `hostwatch-bench discovery [--domains 10000]`: writes, in a temporary folder, an nginx
/// config of `domains` server blocks (one include file per 100, as sites-enabled grows) and a
/// cPanel tree of `domains` domains over `domains / 5` users, then times a whole discovery of
/// each as `hostwatch discover` runs it: the real `nginx -T` (when nginx is installed), the
/// readers, the merge and every generated domain file. Target: under 2 s each.
enum DiscoveryBench {
    static func run(_ args: [String]) {
        let domains = BenchArguments(args, options: ["--domains"]).count("--domains", default: 10_000)
        let root = NSTemporaryDirectory() + "hostwatch-bench-discovery-\(getpid())"
        defer { try? FileManager.default.removeItem(atPath: root) }
        do {
            try writeNginx(root + "/nginx", domains: domains)
            try writeCPanel(root + "/cpanel", domains: domains)
        } catch {
            fail("cannot write the bench files: \(error)")
        }
        let server = AgentConfig.Server(name: "bench", address: "127.0.0.1")
        var nginx = DiscoverySettings()
        (nginx.apache, nginx.postfix, nginx.dovecot, nginx.nsd, nginx.bind) = (nil, nil, nil, nil, nil)
        nginx.nginx = ["nginx", "-T", "-p", root + "/nginx/", "-c", root + "/nginx/nginx.conf"]
        var cpanel = nginx
        cpanel.nginx = nil
        cpanel.panel = .cpanel
        cpanel.panelRoot = root + "/cpanel"
        for (label, settings) in [("nginx -T, \(domains) server blocks", nginx), ("cPanel tree, \(domains) domains", cpanel)] {
            let clock = ContinuousClock()
            var found = 0
            var warnings: [String] = []
            let elapsed = clock.measure {
                let run = DiscoverySources(settings: settings).run()
                warnings = run.warnings
                let outcome = DiscoveryOutcome(readings: run.readings, accounts: run.accounts, settings: settings, server: server,
                                               existing: [:], handWritten: [], failedSources: run.failed)
                found = outcome.entries.count
            }
            let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
            print("discovery \(label): \(found) domains in \(String(Int(seconds * 1000))) ms\(seconds < 2 ? " (target < 2 s: ok)" : " (target < 2 s: MISSED)")")
            for warning in warnings.prefix(3) { print("  warning: \(warning)") }
        }
    }

    static func writeNginx(_ folder: String, domains: Int) throws {
        try FileManager.default.createDirectory(atPath: folder + "/sites", withIntermediateDirectories: true)
        try """
        worker_processes 1;
        pid \(folder)/nginx.pid;
        error_log \(folder)/error.log;
        events { worker_connections 64; }
        http {
            server_names_hash_max_size 65536;
            server_names_hash_bucket_size 128;
            upstream php { server unix:/run/php/php8.2-fpm.sock; }
            include \(folder)/sites/*.conf;
        }
        """.write(toFile: folder + "/nginx.conf", atomically: true, encoding: .utf8)
        for file in stride(from: 0, to: domains, by: 100) {
            var text = ""
            for d in file..<min(domains, file + 100) {
                text += """
                server {
                    listen 127.0.0.1:80;
                    server_name site\(d).test www.site\(d).test;
                    root /var/www/site\(d);
                    location ~ \\.php$ { fastcgi_pass php; }
                    location /api/ { proxy_pass http://127.0.0.1:8080; }
                }

                """
            }
            try text.write(toFile: folder + "/sites/\(file / 100).conf", atomically: true, encoding: .utf8)
        }
    }

    static func writeCPanel(_ root: String, domains: Int) throws {
        try FileManager.default.createDirectory(atPath: root + "/etc", withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: root + "/var/cpanel/users", withIntermediateDirectories: true)
        var userdomains = ""
        for d in 0..<domains {
            let user = "user\(d / 5)"
            userdomains += "site\(d).test: \(user)\n"
            if d % 5 == 0 {
                try "CONTACTEMAIL=owner@site\(d).test\nDNS=site\(d).test\nPLAN=\(d % 10 == 0 ? "Premium" : "Basic")\nSUSPENDED=0\nUSER=\(user)\n"
                    .write(toFile: root + "/var/cpanel/users/\(user)", atomically: true, encoding: .utf8)
            }
        }
        userdomains += "*: nobody\n"
        try userdomains.write(toFile: root + "/etc/userdomains", atomically: true, encoding: .utf8)
    }
}
