import Foundation
import Testing
@testable import WUScrubCore
import WUScrubFixtures
import WUScrubTestSupport

/// `HiveImage`: a hive held in a sealed in-memory file, hashed once, moved by the kernel
/// (docs/architecture.md §11).
@Suite struct HiveImageTests {
    static let hive = HiveTemplate.emptyHive()

    @Test func anImageHoldsTheBytesAndTheirHashComputedOnce() throws {
        let image = try HiveImage(Self.hive, path: "SYSTEM")
        #expect(image.size == Self.hive.count)
        #expect(image.sha256 == FileIO.sha256(Self.hive))
        #expect(image.bytes() == Self.hive)
        #expect(image.read(count: 16, at: 4096) == Array(Self.hive[4096..<4112]))
        #expect(image.read(count: 100, at: Self.hive.count - 10).count == 10, "a read past the end is short")
    }

    @Test func anImageIsSealedAgainstEveryChange() throws {
        let image = try HiveImage(Self.hive, path: "SYSTEM")
        let byte: [UInt8] = [0xFF]
        #expect(pwrite(image.memfd.fd, byte, 1, 0) == -1 && errno == EPERM, "no write")
        #expect(ftruncate(image.memfd.fd, 0) == -1 && errno == EPERM, "no shrink")
        #expect(ftruncate(image.memfd.fd, off_t(Self.hive.count * 2)) == -1 && errno == EPERM, "no growth")
        #expect(mmap(nil, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, image.memfd.fd, 0) == MAP_FAILED, "no writable mapping")
        #expect(image.bytes() == Self.hive)
    }

    @Test func aFileIsReadInOnePassAndWrittenBackByTheKernelByteForByte() throws {
        let scratch = try Scratch("hive-image")
        defer { scratch.remove() }
        try FileIO.createDurably(Self.hive, at: scratch.sub("SYSTEM"))
        let folder = try VolumeDirectory.openRoot(scratch.path)
        let file = try #require(try folder.file("SYSTEM"))
        let image = try HiveImage.read(file, limit: 1 << 20, what: "a SYSTEM hive")
        #expect(image.sha256 == FileIO.sha256(Self.hive) && image.size == Self.hive.count)
        let copy = try folder.createFile("copy")
        try image.write(to: copy)
        #expect(try FileIO.read(scratch.sub("copy")) == Self.hive)
        #expect(throws: VolumeError.self) { _ = try HiveImage.read(file, limit: 4096, what: "a SYSTEM hive") }
    }

    @Test func theStructuralCheckOnAnImageIsTheLayoutCheck() throws {
        let image = try HiveImage(Self.hive, path: "SYSTEM")
        #expect(try image.validate(path: "SYSTEM") == HiveLayout.validate(Self.hive, path: "SYSTEM"))
        let cut = try HiveImage(Array(Self.hive[0..<(Self.hive.count - 512)]), path: "SYSTEM")
        #expect(throws: HiveError.truncated(path: "SYSTEM", declaredEnd: Self.hive.count, fileSize: Self.hive.count - 512)) {
            try cut.validate(path: "SYSTEM")
        }
    }

    @Test func hivexGetsACopyWithThePlainXorOnlyForTheTwoSpecialChecksums() throws {
        let plain = try HiveImage(Self.hive, path: "SYSTEM")
        #expect(try plain.hivexCompatible(path: "SYSTEM") === plain, "an ordinary checksum: the image itself")
        // A base block whose raw XOR is 0: the stored checksum is 1 (docs/registry-format.md §1.2).
        var special = Self.hive
        let raw = BaseBlock.rawChecksum(special[0..<512])
        special.storeLittleEndian(special.loadLE(UInt32.self, at: 12) ^ raw, at: 12)
        BaseBlock.updateChecksum(&special)
        #expect(BaseBlock.rawChecksum(special[0..<512]) == 0 && special.loadLE(UInt32.self, at: 508) == 1)
        let image = try HiveImage(special, path: "SYSTEM")
        let compatible = try image.hivexCompatible(path: "SYSTEM")
        #expect(compatible !== image)
        #expect(compatible.read(count: 4, at: 508) == [0, 0, 0, 0])
        #expect(compatible.read(count: compatible.size - 512, at: 512) == Array(special[512...]))
        #expect(compatible.sha256 == FileIO.sha256(compatible.bytes()))
    }

    @Test func whatTheChildWroteIsTakenOverWithItsChecksumCorrectedAndSealed() throws {
        var written = Self.hive
        written.storeLittleEndian(UInt32(0x1234), at: 508)  // hivex writes the plain XOR; here simply wrong
        let memfd = try Memfd(name: "test-output")
        try memfd.write(written)
        let image = try #require(try HiveImage.adopt(memfd, limit: 1 << 20, path: "SYSTEM"))
        #expect(image.bytes() == Self.hive, "the correct checksum, nothing else changed")
        #expect(image.sha256 == FileIO.sha256(Self.hive))
        #expect(pwrite(memfd.fd, [0], 1, 0) == -1, "sealed")
        let large = try Memfd(name: "test-large")
        try large.write(written)
        #expect(try HiveImage.adopt(large, limit: 4096, path: "SYSTEM") == nil, "larger than the limit: not taken")
    }
}
