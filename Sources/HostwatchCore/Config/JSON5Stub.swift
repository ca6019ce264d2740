// TEMPORARY until JSON5.swift lands.
public struct SourcePosition: Sendable, Hashable, CustomStringConvertible { public var line: Int; public var column: Int; public init(line: Int, column: Int) { self.line = line; self.column = column }; public var description: String { "\(line):\(column)" } }
public struct JSON5Node: Sendable { public var value: JSON5Value; public var position: SourcePosition }
public enum JSON5Value: Sendable { case object([JSON5Member]), array([JSON5Node]), string(String), number(JSON5Number), bool(Bool), null
  public var kindName: String { "x" } }
public struct JSON5Member: Sendable { public var key: String; public var keyPosition: SourcePosition; public var value: JSON5Node }
public struct JSON5Number: Sendable, Equatable { public var double: Double; public var literal: String; public var integer: Int? { nil } }
public struct JSON5Diagnostic: Sendable, Equatable { public var position: SourcePosition; public var path: String; public var message: String }
public struct JSON5Document: Sendable { public var root: JSON5Node?; public var diagnostics: [JSON5Diagnostic]; public static func parse(_ text: String) -> JSON5Document { JSON5Document(root: nil, diagnostics: []) } }
public enum JSON5Path { public static func appending(_ path: String, key: String) -> String { path + "." + key }; public static func appending(_ path: String, index: Int) -> String { path } }
