import Foundation
import Testing
@testable import WUScrubCore

/// The journal is untrusted input: every field is checked, and no path is ever taken from it.
@Suite struct JournalValidationTests {
    static let install = WindowsInstall(root: "/mnt/windows", windows: "Windows", systemHive: "Windows/System32/config/SYSTEM",
                                        softwareDistribution: "Windows/SoftwareDistribution", stateDirectory: "Windows/Logs/wuscrub")
    static let runID = "0123abcd-4567-89ef-0123-456789abcdef"
    static let backup = "Windows/Logs/wuscrub/backup/SYSTEM-000001-20261125T043500Z-0123abcd"
    static let hash = String(repeating: "ab", count: 32)

    /// A journal as a finished run writes it.
    static func valid() -> Journal {
        var journal = Journal(toolVersion: "0.1.0", runID: runID, startedAt: Date(timeIntervalSince1970: 1_800_000_000),
                              updatedAt: Date(timeIntervalSince1970: 1_800_000_001), phase: .done,
                              hivePath: install.systemHive, originalHiveSHA256: hash, originalHiveSize: 16384,
                              originalStarts: [ServiceStart(controlSet: "ControlSet001", start: 3, delayedAutostart: false)],
                              backupPath: backup)
        journal.disabledHiveSHA256 = String(repeating: "cd", count: 32)
        journal.purge = [PurgeReport(folder: "Windows/SoftwareDistribution/DataStore")]
        return journal
    }

    /// Expects the journal to be refused as damaged (the error a forged journal must get).
    static func expectDamaged(_ journal: Journal, _ label: String, sourceLocation: SourceLocation = #_sourceLocation) {
        let error = #expect(throws: ResetError.self, "\(label)", sourceLocation: sourceLocation) {
            try journal.validate(for: install, path: "journal.json")
        }
        guard case .journalDamaged? = error else {
            Issue.record("\(label): \(String(describing: error))", sourceLocation: sourceLocation)
            return
        }
    }

    func validate(_ journal: Journal) throws {
        try journal.validate(for: Self.install, path: "Windows/Logs/wuscrub/journal.json")
    }

    @Test("a journal as wuscrub writes it passes, in every phase it can be in")
    func validJournals() throws {
        try validate(Self.valid())
        var early = Self.valid()
        early.phase = .journal
        early.disabledHiveSHA256 = nil
        early.purge = nil
        try validate(early)
    }

    /// Each change makes the journal damaged.
    static let damages: [(String, @Sendable (inout Journal) -> Void)] = [
        ("schema 3", { $0.schemaVersion = 3 }),
        ("schema 0", { $0.schemaVersion = 0 }),
        ("backupPath escaping the root", { $0.backupPath = "../../../../etc/passwd" }),
        ("backupPath absolute", { $0.backupPath = "/etc/passwd" }),
        ("backupPath outside backup/", { $0.backupPath = "Windows/System32/config/SYSTEM" }),
        ("backupPath with ..", { $0.backupPath = backup + "/../../../../etc/passwd" }),
        ("backupPath of another run", { $0.backupPath = "Windows/Logs/wuscrub/backup/SYSTEM-000001-20261125T043500Z-ffffffff" }),
        ("backupPath a log backup", { $0.backupPath = backup + ".LOG1" }),
        ("logBackupPaths without recovery", { $0.logBackupPaths = [backup + ".LOG1"] }),
        ("baselineBackupPath without hash", { $0.baselineBackupPath = backup + "-recovered" }),
        ("hivePath elsewhere", { $0.hivePath = "../../etc/shadow" }),
        ("hash not hex", { $0.originalHiveSHA256 = "zz" }),
        ("hash upper case", { $0.originalHiveSHA256 = hash.uppercased() }),
        ("disabled hash short", { $0.disabledHiveSHA256 = "abc" }),
        ("run id garbage", { $0.runID = "../../x" }),
        ("negative size", { $0.originalHiveSize = -1 }),
        ("huge size", { $0.originalHiveSize = Int.max }),
        ("no control set", { $0.originalStarts = [] }),
        ("100 control sets", { $0.originalStarts = Array(repeating: ServiceStart(controlSet: "ControlSet001", start: 3, delayedAutostart: false), count: 100) }),
        ("control set path", { $0.originalStarts = [ServiceStart(controlSet: "../x", start: 3, delayedAutostart: false)] }),
        ("control set twice", { $0.originalStarts = Array(repeating: ServiceStart(controlSet: "ControlSet001", start: 3, delayedAutostart: false), count: 2) }),
        ("created folder elsewhere", { $0.createdFolders = ["Windows/System32"] }),
        ("disabled hash in phase journal", { $0.phase = .journal; $0.purge = nil }),
        ("purge results in phase disable", { $0.phase = .disable }),
        ("phase purge without disabled hash", { $0.phase = .purge; $0.disabledHiveSHA256 = nil; $0.purge = nil }),
    ]

    @Test("a journal with any field out of what wuscrub writes is damaged", arguments: 0..<damages.count)
    func damaged(index: Int) {
        var journal = Self.valid()
        Self.damages[index].1(&journal)
        let error = #expect(throws: ResetError.self, "\(Self.damages[index].0)") { try validate(journal) }
        guard case .journalDamaged? = error else {
            Issue.record("\(Self.damages[index].0): \(String(describing: error))")
            return
        }
    }
}
