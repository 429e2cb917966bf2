// Implements: StateDirLock, an exclusive flock on `coordinator.lock` in the state directory, so a
// second coordinator on the same directory refuses to start instead of sharing the database and
// launching every job twice. The kernel drops the lock when the holder dies, so a killed
// coordinator leaves no stale lock behind; the file keeps the holder's pid for the error message.
import Foundation

public struct StateDirLockError: Error, CustomStringConvertible {
    public let directory: String
    public let holder: Int32?
    public let reason: String?
    public var description: String {
        if let reason { return "cannot lock state directory \(directory): \(reason)" }
        return "state directory \(directory) is in use by another coordinator" + (holder.map { " (pid \($0))" } ?? "")
    }
}

final class StateDirLock {
    static let fileName = "coordinator.lock"
    private var fd: Int32

    /// Takes the lock or throws at once (never waits for the holder).
    init(directory: String) throws {
        try? FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let path = (directory as NSString).appendingPathComponent(Self.fileName)
        fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw StateDirLockError(directory: directory, holder: nil, reason: String(cString: strerror(errno))) }
        guard flock(fd, LOCK_EX | LOCK_NB) == 0 else {
            let err = errno
            var buf = [UInt8](repeating: 0, count: 32)
            let n = pread(fd, &buf, buf.count, 0)
            close(fd); fd = -1
            if err != EWOULDBLOCK { throw StateDirLockError(directory: directory, holder: nil, reason: String(cString: strerror(err))) }
            let text = n > 0 ? String(decoding: buf[0..<n], as: UTF8.self) : ""
            throw StateDirLockError(directory: directory, holder: Int32(text.trimmingCharacters(in: .whitespacesAndNewlines)), reason: nil)
        }
        let pid = Array("\(getpid())\n".utf8)
        _ = ftruncate(fd, 0)
        _ = pwrite(fd, pid, pid.count, 0)
    }

    /// Gives the lock up (also done by the kernel when the process ends).
    func release() {
        guard fd >= 0 else { return }
        close(fd); fd = -1
    }

    deinit { release() }
}
