import Foundation
import WUScrubCore
import WUScrubFixtures

/// A realistic `SoftwareDistribution` under a fixture Windows install: `DataStore` with a
/// multi-MB `DataStore.edb` and its `Logs`, and a `Download` of 32-hex-digit folders one to
/// three levels deep holding many small `.cab .psf .esd .msu .xml .cat` files and a few large
/// sparse ones. The same count always gives the same tree.
enum SoftwareDistributionTree {
    /// Builds the install and the tree; returns how many files the two folders hold.
    ///
    /// - Parameters:
    ///   - files: How many files; 0 leaves both folders empty (the hive phase alone).
    ///   - hive: A SYSTEM hive to put in place of the fixture's (a real one, for real costs; `.xz` is decompressed).
    static func make(at root: String, files: Int, hive: String? = nil) throws -> Int {
        let spec = try FixtureSpec(name: "win10", text: String(contentsOfFile: "Fixtures/specs/win10.fixture", encoding: .utf8))
        try FixtureBuilder.install(spec, at: root)
        if let hive {
            let target = "'\(root)/Windows/System32/config/SYSTEM'"
            try shell(hive.hasSuffix(".xz") ? "xz -dc '\(hive)' > \(target)" : "cp '\(hive)' \(target)")
        }
        let distribution = root + "/Windows/SoftwareDistribution"
        let dataStore = distribution + "/DataStore", download = distribution + "/Download"
        try? FileManager.default.removeItem(atPath: dataStore)
        try? FileManager.default.removeItem(atPath: download)
        try FileManager.default.createDirectory(atPath: dataStore, withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: download, withIntermediateDirectories: true)
        if files == 0 { return 0 }
        try FileManager.default.createDirectory(atPath: dataStore + "/Logs", withIntermediateDirectories: true)
        var written = 0
        try write(dataStore + "/DataStore.edb", size: 24 << 20)
        for name in ["edb.chk", "edb.log", "edb00001.log", "edbres00001.jrs", "edbres00002.jrs", "edbtmp.log"] {
            try write(dataStore + "/Logs/" + name, size: name.hasSuffix(".chk") ? 8192 : 1 << 20)
        }
        written += 7
        var random = SystemRandomNumberGenerator.Seeded(seed: UInt64(files))
        let extensions = ["cab", "psf", "esd", "msu", "xml", "cat"]
        var update = 0
        while written < files {
            let folder = download + "/" + String(format: "%016llx%016llx", random.next(), random.next())
            let depth = Int(random.next() % 3)
            var current = folder
            for level in 0..<depth { current += "/" + (level == 0 ? "express" : "x64") }
            try FileManager.default.createDirectory(atPath: current, withIntermediateDirectories: true)
            let inThisUpdate = min(files - written, 20 + Int(random.next() % 200))
            for index in 0..<inThisUpdate {
                let name = "\(index)-\(String(format: "%08llx", random.next() & 0xffff_ffff)).\(extensions[Int(random.next() % 6)])"
                let large = update % 97 == 0 && index == 0
                try write(current + "/" + name, size: large ? 700 << 20 : 100 + Int(random.next() % 8000), sparse: large)
            }
            written += inThisUpdate
            update += 1
        }
        return written
    }

    private static func write(_ path: String, size: Int, sparse: Bool = false) throws {
        let fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0o644)
        guard fd >= 0 else { throw BenchFailure(message: "cannot create '\(path)': errno \(errno)") }
        defer { close(fd) }
        if sparse {
            guard ftruncate(fd, off_t(size)) == 0 else { throw BenchFailure(message: "cannot size '\(path)'") }
            return
        }
        var left = size
        let chunk = [UInt8](repeating: 0x5A, count: min(size, 1 << 20))
        while left > 0 {
            let count = min(left, chunk.count)
            let done = chunk.withUnsafeBytes { Glibc.write(fd, $0.baseAddress, count) }
            guard done > 0 else { throw BenchFailure(message: "cannot write '\(path)'") }
            left -= done
        }
    }
}

extension SystemRandomNumberGenerator {
    /// A small seeded generator (SplitMix64), so that a size always gives the same tree.
    struct Seeded: RandomNumberGenerator {
        var state: UInt64
        init(seed: UInt64) { state = seed }
        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
    }
}
