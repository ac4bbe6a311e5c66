import FoundationEssentials

/// Reads and writes the journal and its human-readable log in `<Windows>/Logs/wuscrub`, through
/// the volume layer: the journal is untrusted input (whoever had the disk could write it), so it is
/// read with a size bound and validated in full before anything uses it (`Journal.validate`).
public struct JournalStore: Sendable {
    /// The installation whose journal this is.
    public let install: WindowsInstall

    public init(install: WindowsInstall) {
        self.install = install
    }

    /// The journal's path relative to the mount root, for messages.
    public var journalPath: String { install.stateDirectory + "/" + InstallVolume.journalName }

    /// Loads and validates the journal if there is one.
    ///
    /// - Returns: nil when no journal file exists.
    /// - Throws: `ResetError.journalUnreadable` when it cannot be read or decoded,
    ///   `.journalDamaged` when it fails validation, `VolumeError` when it is not a regular file.
    public func load() throws(WUScrubError) -> Journal? {
        try WUScrubError.wrap {
            try load(from: try InstallVolume(install))
        }
    }

    func load(from volume: InstallVolume) throws -> Journal? {
        guard let state = try volume.stateDirectory(), let file = try state.file(InstallVolume.journalName) else { return nil }
        let bytes: [UInt8]
        do {
            bytes = try file.readAll(limit: InstallVolume.maximumJournalBytes, what: "a wuscrub journal")
        } catch {
            if case .tooLarge(_, let size, let limit, _) = error {
                throw ResetError.journalDamaged(path: journalPath, reason: "it is too large: \(size) bytes, more than the \(limit) a wuscrub journal can have")
            }
            throw ResetError.journalUnreadable(path: journalPath, detail: error.description)
        }
        let journal: Journal
        do {
            journal = try JSONDecoder.journal.decode(Journal.self, from: Data(bytes))
        } catch {
            // The decoder's message quotes the file (keys, values): show it escaped.
            throw ResetError.journalUnreadable(path: journalPath, detail: PurgeFailure.displayPath(Array("\(error)".utf8.prefix(2000))))
        }
        try journal.validate(for: install, path: journalPath)
        return journal
    }

    /// Writes the journal atomically (new temporary file, fsync, rename, fsync of the folder)
    /// and appends one line to the log.
    ///
    /// - Parameters:
    ///   - journal: The state to record; its `updatedAt` is set to now.
    ///   - note: The log line's text.
    ///   - volume: The installation's opened volume.
    func save(_ journal: inout Journal, note: String, in volume: InstallVolume) throws(VolumeError) {
        journal.updatedAt = Date.wholeSecond()
        let state = try volume.makeStateDirectory()
        let data: Data
        do { data = try JSONEncoder.journal.encode(journal) } catch {
            throw .io(FileIOError(operation: "encode the journal for", path: journalPath, errno: .invalidArgument))
        }
        let temporary = FileIO.temporaryName(for: InstallVolume.journalName)
        let file = try state.createFile(temporary)
        do {
            try file.write(Array(data) + [0x0A])
            try file.sync()
            try state.rename(temporary, to: InstallVolume.journalName)
            try state.sync()
        } catch {
            try? state.remove(temporary)
            throw error
        }
        try appendLog("run \(journal.runID.prefix(8)) phase \(journal.phase.rawValue): \(note)", in: volume)
    }

    /// Appends a time-stamped line to `wuscrub.log` (a regular file, created when missing) and fsyncs it.
    func appendLog(_ text: String, in volume: InstallVolume) throws(VolumeError) {
        let line = Date.ISO8601FormatStyle().format(Date()) + " " + text
        let file = try volume.makeStateDirectory().appendFile(InstallVolume.logName)
        try file.write(Array((String(line.map { $0 == "\n" ? " " : $0 }) + "\n").utf8))
        try file.sync()
    }
}
