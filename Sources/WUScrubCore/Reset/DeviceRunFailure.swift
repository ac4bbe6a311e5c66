/// `reset --device`: the run failed, and so did the unmount afterwards.
public struct DeviceRunFailure: Error, CustomStringConvertible {
    /// What made the run fail.
    public var failure: any Error
    /// Why the device could not be unmounted.
    public var unmount: InstallError
    public var description: String { "\(failure)\nAlso, \(unmount)" }
}
