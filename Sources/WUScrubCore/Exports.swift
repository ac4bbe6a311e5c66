// The lower layers' public types (hive format, recovery analysis, volume errors) are part of
// WUScrubCore's interface, so the executable and the fixtures import WUScrubCore alone
// (docs/architecture.md §2).
@_exported import RegistryFormat
@_exported import VolumeAccess
