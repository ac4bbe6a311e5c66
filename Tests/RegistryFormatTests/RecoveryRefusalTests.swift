import RegistryFormat
import Testing
import WUScrubFixtures

/// A refused recovery names the rule that stopped it as a `RecoveryRefusal` case (with the facts),
/// and its text is that case's description.
@Suite struct RecoveryRefusalTests {
    static let clean = HiveTemplate.emptyHive()

    static func analyze(_ hive: [UInt8], logs: [TransactionLog] = []) -> RecoveryAnalysis {
        HiveRecovery.analyze(hivePath: "SYSTEM", hive: hive, logs: logs)
    }

    @Test func aDirtyHiveWithoutLogsIsRefusedForHavingNone() {
        let analysis = Self.analyze(TransactionLogWriter.dirtyPrimary(Self.clean, primarySequence: 5, secondarySequence: 4))
        #expect(analysis.outcome == .refused)
        #expect(analysis.refusalReason == .noLogs(primarySequence: 5, secondarySequence: 4))
        #expect(analysis.refusal == analysis.refusalReason?.description)
    }

    @Test func aWrongChecksumIsRefusedBeforeAnyFieldIsTrusted() {
        var hive = TransactionLogWriter.dirtyPrimary(Self.clean, primarySequence: 5, secondarySequence: 4)
        hive[508] ^= 0xFF
        #expect(Self.analyze(hive).refusalReason == .primaryChecksumWrong)
    }

    @Test func aTruncatedPrimaryIsRefusedWithBothSizes() {
        let hive = TransactionLogWriter.dirtyPrimary(Self.clean, primarySequence: 5, secondarySequence: 4)
        let cut = Array(hive[0..<(hive.count - 512)])
        #expect(Self.analyze(cut).refusalReason == .primaryTruncated(declaredEnd: hive.count, fileSize: cut.count))
    }

    @Test func aLogThatCannotBeReadIsNamedWithItsReason() {
        let hive = TransactionLogWriter.dirtyPrimary(Self.clean, primarySequence: 5, secondarySequence: 4)
        let log = TransactionLog(path: "SYSTEM.LOG1", size: 1 << 30, unreadable: "it is too large")
        let analysis = Self.analyze(hive, logs: [log])
        #expect(analysis.outcome == .refused)
        guard case .noUsableLog(5, 4, let problems)? = analysis.refusalReason else {
            Issue.record("expected noUsableLog, got \(String(describing: analysis.refusalReason))")
            return
        }
        #expect(problems.count == 1 && problems[0].hasPrefix("SYSTEM.LOG1: "))
    }

    @Test func aCleanHiveHasNoRefusal() {
        let analysis = Self.analyze(Self.clean)
        #expect(analysis.outcome == .clean)
        #expect(analysis.refusalReason == nil && analysis.refusal == nil)
    }
}
