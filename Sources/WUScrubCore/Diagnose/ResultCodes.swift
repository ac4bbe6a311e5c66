/// Whether a reset (disable wuauserv, empty DataStore and Download, restore the start mode) is the
/// fix for what Windows Update reported (docs/architecture.md §14).
public enum ResetVerdict: String, Sendable, Equatable, Encodable, Comparable {
    /// The error is what the reset repairs: missing or damaged files in DataStore or Download.
    case addresses = "addresses"
    /// The reset is one of the usual fixes, not the only one.
    case mayHelp = "may-help"
    /// The cause is elsewhere; the advice says what to do instead.
    case willNotHelp = "will-not-help"
    /// A code wuscrub's table does not know.
    case unknown

    /// Words for a person.
    public var sentence: String {
        switch self {
        case .addresses: "this reset addresses it"
        case .mayHelp: "this reset may help"
        case .willNotHelp: "this reset will not help"
        case .unknown: "not in wuscrub's table: look the code up in Microsoft's Windows Update error reference"
        }
    }

    /// Order for the overall verdict: the first that applies wins.
    private var rank: Int {
        switch self {
        case .willNotHelp: 0
        case .addresses: 1
        case .mayHelp: 2
        case .unknown: 3
        }
    }

    public static func < (a: ResetVerdict, b: ResetVerdict) -> Bool { a.rank < b.rank }
}

/// A Windows Update result code wuscrub knows: its name, whether the reset fixes it, and what to
/// do otherwise. The sources are listed in docs/error-codes.md.
public struct KnownResultCode: Sendable, Equatable {
    public var code: UInt32
    public var name: String
    public var verdict: ResetVerdict
    /// What to do when the reset is not the fix (or besides it).
    public var advice: String?

    /// The table (docs/error-codes.md). Kept short: only codes a technician meets with this symptom.
    public static let table: [KnownResultCode] = {
        let network = "a network or proxy problem, not the local files: check the network, the proxy (netsh winhttp show proxy), the firewall and the WSUS server, then try again"
        let dism = "the component store is damaged: from WinRE or installation media run DISM /Image:C:\\ /Cleanup-Image /RestoreHealth (with /Source:… pointing at a matching install.wim if it cannot download), then sfc /scannow /offbootdir=C:\\ /offwindir=C:\\Windows"
        return [
            .init(0x8007_0002, "ERROR_FILE_NOT_FOUND", .addresses),
            .init(0x8007_0003, "ERROR_PATH_NOT_FOUND", .addresses),
            .init(0x8024_8007, "WU_E_DS_NODATA (DataStore damaged)", .addresses),
            .init(0x8024_6007, "WU_E_DM_NOTDOWNLOADED", .addresses),
            .init(0x8024_402F, "WU_E_PT_ECP_SUCCEEDED_WITH_ERRORS", .mayHelp, "if it persists after the reset, a proxy or filter may be altering the downloaded cab files"),
            .init(0x8024_0034, "WU_E_DOWNLOAD_FAILED", .mayHelp, "if it persists, check the network and the BITS service"),
            .init(0x8024_A105, "Automatic Updates error (not named in wuerror.h)", .mayHelp),
            .init(0x8007_0643, "ERROR_INSTALL_FAILURE", .mayHelp, "often a .NET Framework or Defender update: repair the .NET Framework if it persists"),
            .init(0x8007_05B4, "ERROR_TIMEOUT", .mayHelp, "if it persists, check the network and third-party security software"),
            .init(0x8007_3712, "ERROR_SXS_COMPONENT_STORE_CORRUPT", .willNotHelp, dism),
            .init(0x8007_0490, "ERROR_NOT_FOUND (component store)", .willNotHelp, dism),
            .init(0x800F_081F, "CBS_E_SOURCE_MISSING", .willNotHelp, "the update's source files are missing from the component store: run DISM /Image:C:\\ /Cleanup-Image /RestoreHealth /Source:… with a matching install.wim from WinRE"),
            .init(0x800F_0922, "CBS_E_INSTALLERS_FAILED", .willNotHelp, "usually too little space on the System Reserved partition, or no connection to the update servers (VPN): free space there, then try again"),
            .init(0x8024_4022, "WU_E_PT_HTTP_STATUS_SERVICE_UNAVAIL (HTTP 503)", .willNotHelp, network),
            .init(0x8024_401C, "WU_E_PT_HTTP_STATUS_REQUEST_TIMEOUT (HTTP 408)", .willNotHelp, network),
            .init(0x8024_402C, "WU_E_PT_WINHTTP_NAME_NOT_RESOLVED", .willNotHelp, network),
            .init(0x8007_2EE2, "ERROR_INTERNET_TIMEOUT", .willNotHelp, network),
            .init(0x8007_2EFD, "ERROR_INTERNET_CANNOT_CONNECT", .willNotHelp, network),
            .init(0x8007_0005, "E_ACCESSDENIED", .willNotHelp, "permissions or third-party security software block Windows Update: check the permissions of SoftwareDistribution and disable or remove the security software"),
            .init(0x8007_0020, "ERROR_SHARING_VIOLATION", .willNotHelp, "another program (often security software) holds the files: start Windows with a clean boot and try again"),
            .init(0x8007_000E, "E_OUTOFMEMORY", .willNotHelp, "free memory and disk space, then try again"),
            .init(0x8007_0422, "ERROR_SERVICE_DISABLED", .willNotHelp, "the service is disabled: set wuauserv's start mode to Manual (Start=3; wuscrub status shows it), a reset puts back the mode it found"),
            .init(0x8024_6008, "WU_E_DM_FAILTOCONNECTTOBITS", .willNotHelp, "the BITS service is disabled or damaged: set its start mode to Manual (BITS Start=3)"),
            .init(0x8009_2004, "CRYPT_E_NOT_FOUND", .willNotHelp, "install the latest servicing stack update first, or remove the update that fails, then try again"),
            .init(0xC190_0101, "a driver error during a feature update", .willNotHelp, "update or remove the drivers (storage, display, network), disconnect external devices, free disk space, then try the upgrade again"),
        ]
    }()

    init(_ code: UInt32, _ name: String, _ verdict: ResetVerdict, _ advice: String? = nil) {
        self.code = code
        self.name = name
        self.verdict = verdict
        self.advice = advice
    }

    /// The entry for a code, or nil when the table does not know it.
    public static func lookUp(_ code: UInt32) -> KnownResultCode? { table.first { $0.code == code } }

    /// `0x80070002`: eight upper-case hexadecimal digits.
    public static func hex(_ code: UInt32) -> String {
        let digits = String(code, radix: 16, uppercase: true)
        return "0x" + String(repeating: "0", count: 8 - digits.count) + digits
    }
}
