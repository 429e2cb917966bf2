// Implements: atomic file replacement: write a temporary file beside the target, fsync it,
// rename it over the target, fsync the directory. A reader (or a crash) sees the old content
// or the new, never a mix. Every file Cohort writes goes through here.
import Foundation

public enum AtomicFileError: Error, CustomStringConvertible {
    case io(path: String, call: String, errno: Int32)

    public var description: String {
        switch self {
        case let .io(path, call, e): return "cannot write \(path): \(call) failed: \(String(cString: strerror(e)))"
        }
    }
}

public enum AtomicFile {
    /// Replaces `path` with `data` atomically and durably.
    /// - Throws: `AtomicFileError.io` naming the path and the failing call (open, write, fsync, rename).
    public static func write(_ data: Data, to path: String, mode: mode_t = 0o644) throws(AtomicFileError) {
        let dir = (path as NSString).deletingLastPathComponent
        let tmp = "\(dir.isEmpty ? "." : dir)/.\((path as NSString).lastPathComponent).tmp-\(getpid())-\(UInt32.random(in: 0 ... .max))"
        let fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode)
        guard fd >= 0 else { throw .io(path: path, call: "open", errno: errno) }
        var ok = false
        defer { if !ok { close(fd); unlink(tmp) } }
        let writeErrno: Int32 = data.withUnsafeBytes { raw in
            var done = 0
            while done < raw.count {
                let n = Foundation.write(fd, raw.baseAddress! + done, raw.count - done)
                if n < 0 {
                    if errno == EINTR { continue }
                    return errno
                }
                done += n
            }
            return 0
        }
        guard writeErrno == 0 else { throw .io(path: path, call: "write", errno: writeErrno) }
        guard fsync(fd) == 0 else { throw .io(path: path, call: "fsync", errno: errno) }
        ok = true
        close(fd)
        guard rename(tmp, path) == 0 else {
            let e = errno
            unlink(tmp)
            throw .io(path: path, call: "rename", errno: e)
        }
        syncDirectory(dir.isEmpty ? "." : dir)
    }

    /// Replaces `path` with `text` (UTF-8) atomically.
    public static func write(_ text: String, to path: String) throws(AtomicFileError) {
        try write(Data(text.utf8), to: path)
    }

    /// fsyncs a directory so that a rename inside it is durable.
    public static func syncDirectory(_ dir: String) {
        let dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        if dfd >= 0 { fsync(dfd); close(dfd) }
    }
}
