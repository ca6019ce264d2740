import Glibc
import HostwatchCore
import HostwatchIO

extension ValidateCommand {
    /// Secret files the sinks name that cannot be read now: `validate` reports them (the agent
    /// itself starts anyway and shows the failure in `hostwatch outbox` and a warning ticket).
    /// Only whether each file is there and readable is checked; its content is never printed.
    static func secretProblems(_ config: LoadedConfig) -> [ConfigError] {
        var references: [SecretReference] = []
        for spec in config.agent.delivery.sinks {
            switch spec {
            case .email(let c): references += [c.password].compactMap { $0 }
            case .rt(let c): references += [c.token].compactMap { $0 }
            case .webhook(let c): references += [c.token].compactMap { $0 }
            }
        }
        return references.compactMap { reference -> ConfigError? in
            do {
                _ = try SecretFile.read(reference.value, configFolder: reference.configFolder)
                return nil
            } catch {
                return ConfigError(file: reference.file, position: reference.position, path: reference.keyPath, message: "\(error)")
            }
        }
    }
}
