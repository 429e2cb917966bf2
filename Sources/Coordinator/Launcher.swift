// Implements: Launcher, one attempt's launch: writes the hostfile, the spec copy and a small sh
// wrapper into the attempt directory, and spawns the wrapper in its own session. The wrapper runs
// mpirun, records mpirun's pid, and on exit writes its status to `exit_code` (temp + mv), so a
// coordinator restarted after a crash can re-attach to a running attempt and still learn how it
// ended. The program ranks run comes from the coordinator's config, never from the job spec.
import Durable
import Foundation
import Wire

enum Launcher {
    /// Writes `dir`/{hostfile,spec.yaml,run.sh} and spawns run.sh. Returns the wrapper's pid.
    static func launch(job: Int64, attempt: Int64, dir: String, allocation: [AllocationSlice], spec: String,
                       checkpointDir: String, endpoint: String, config: CoordinatorConfig) throws -> pid_t {
        try FileManager.default.createDirectory(atPath: dir + "/out", withIntermediateDirectories: true)
        let hostfile = allocation.map { "\($0.address) slots=\($0.slots)" }.joined(separator: "\n") + "\n"
        try AtomicFile.write(hostfile, to: dir + "/hostfile")
        try AtomicFile.write(spec, to: dir + "/spec.yaml")
        let contract = LaunchContract(job: "\(job)", coordinator: endpoint, attempt: Int(attempt),
                                      heartbeatMs: config.heartbeatIntervalMs, fenceMs: config.fenceMs)
        var mpirun = MPIRunCommand(ranks: allocation.reduce(0) { $0 + $1.slots }, program: config.workerProgram ?? MPIRunCommand.selfExecutable(),
                                   arguments: contract.trainArguments(checkpointDir: checkpointDir, spec: dir + "/spec.yaml", progressBar: config.progressBar))
        mpirun.mpirun = config.mpirun
        mpirun.oversubscribe = true
        mpirun.hostfile = dir + "/hostfile"
        mpirun.outputDirectory = dir + "/out"
        let env = WorkerKeys.environment(config, base: ProcessInfo.processInfo.environment)
            .merging(contract.environment.merging(["PMIX_MCA_gds": "hash"]) { a, _ in a }) { _, new in new }
        // Collective settings the coordinator was started with reach every rank alike (ranks stop
        // at start when they differ); keys only with CURVE.
        mpirun.exports = LaunchContract.variables + ["PMIX_MCA_gds"] + WorkerKeys.values(config).keys.sorted()
            + LaunchContract.collectiveVariables.filter { env[$0] != nil }
        // Remote daemons through an rsh agent: no shared hwloc topology (OpenMPI 4.1 daemons map it at
        // the host's address and can crash when that is taken; see launch/netns-cluster.sh).
        if let rsh = config.rshAgent { mpirun.options += ["--mca", "plm_rsh_agent", rsh, "--mca", "rtc_hwloc_vmhole", "none"] }
        mpirun.options += config.mpirunArgs
        // Every attempt resumes from the job's newest committed checkpoint, if there is one (--resume auto).
        let args = mpirun.argv
        let q = { (s: String) in "'" + s.replacingOccurrences(of: "'", with: "'\\''") + "'" }
        let script = """
        #!/bin/sh
        # Attempt \(attempt) of job \(job), written by the coordinator.
        cd \(q(dir)) || exit 111
        \(args.map(q).joined(separator: " ")) > mpirun.log 2>&1 &
        child=$!
        echo $child > .mpirun.pid.tmp && mv .mpirun.pid.tmp mpirun.pid
        wait $child
        rc=$?
        echo $rc > .exit_code.tmp && mv .exit_code.tmp exit_code
        """
        try AtomicFile.write(script, to: dir + "/run.sh")
        return try spawn(["/bin/sh", dir + "/run.sh"], env: env, log: dir + "/wrapper.log")
    }

    /// posix_spawn in a new session (POSIX_SPAWN_SETSID), so signals to the coordinator's
    /// terminal do not reach the job. The corresponding C function is `posix_spawn`.
    static func spawn(_ argv: [String], env: [String: String], log: String) throws -> pid_t {
        var attr = posix_spawnattr_t()
        posix_spawnattr_init(&attr)
        defer { posix_spawnattr_destroy(&attr) }
        posix_spawnattr_setflags(&attr, 0x80)  // POSIX_SPAWN_SETSID (glibc ≥ 2.26; not imported as a macro)
        let cArgs = argv.map { strdup($0) } + [nil]
        let cEnv = env.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer { cArgs.forEach { free($0) }; cEnv.forEach { free($0) } }
        // The child gets /dev/null as stdin and the attempt's wrapper.log as stdout and stderr, and no
        // other descriptor of ours: an inherited socket or pipe would outlive a crash of the
        // coordinator (and keep e.g. a parent's exit-watching pipe open).
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, log, O_WRONLY | O_CREAT | O_APPEND, 0o644)
        posix_spawn_file_actions_adddup2(&actions, 1, 2)
        // (posix_spawn_file_actions_addclosefrom_np is not imported into Swift; list them instead.
        // A descriptor opened by another thread after this listing may still leak.)
        let open = ((try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd")) ?? []).compactMap { Int32($0) }
        for fd in open where fd > 2 && fcntl(fd, F_GETFD) != -1 { posix_spawn_file_actions_addclose(&actions, fd) }
        var pid: pid_t = 0
        let rc = posix_spawn(&pid, argv[0], &actions, &attr, cArgs, cEnv)
        guard rc == 0 else { throw LaunchError("posix_spawn \(argv[0]) failed: \(String(cString: strerror(rc)))") }
        return pid
    }

    /// The wrapper's recorded exit status of mpirun, once it has ended.
    static func exitCode(dir: String) -> Int? {
        guard let s = try? String(contentsOfFile: dir + "/exit_code", encoding: .utf8) else { return nil }
        return Int(s.trimmingCharacters(in: .whitespacesAndNewlines))
    }

    /// What mpirun said ended the attempt, from its log: "rank 1 exited on signal 9 (Killed)" or
    /// "rank 2 exited with code 1"; nil if it said neither.
    static func failureSummary(dir: String) -> String? {
        guard let log = try? String(contentsOfFile: dir + "/mpirun.log", encoding: .utf8) else { return nil }
        let text = log.split(whereSeparator: \.isNewline).joined(separator: " ")
        func groups(_ pattern: String) -> [String]? {
            guard let re = try? NSRegularExpression(pattern: pattern),
                  let m = re.firstMatch(in: text, range: NSRange(text.startIndex..., in: text)) else { return nil }
            return (1 ..< m.numberOfRanges).compactMap { Range(m.range(at: $0), in: text).map { String(text[$0]) } }
        }
        if let g = groups(#"process rank (\d+) with PID \d+ on node (\S+) exited on signal (\d+) \(([^)]+)\)"#), g.count == 4 {
            return "rank \(g[0]) exited on signal \(g[2]) (\(g[3]))"
        }
        if let g = groups(#"Process name:\s+\[\[\d+,\d+\],(\d+)\]\s+Exit code:\s+(\d+)"#), g.count == 2 {
            return "rank \(g[0]) exited with code \(g[1])"
        }
        return nil
    }

    /// The rank's own message when it exited refusing its configuration (exit status 78, seen
    /// in mpirun's status or its summary): "rank 1: data file not found: /x"; nil otherwise.
    static func configError(dir: String, exitCode: Int?, mpirunSaid: String?) -> String? {
        let code = "\(LaunchContract.configErrorExitStatus)"
        guard exitCode.map({ "\($0)" }) == code || mpirunSaid?.hasSuffix("exited with code " + code) == true else { return nil }
        for (rank, path) in rankLogs(dir: dir).sorted(by: { $0.key < $1.key }) {
            guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { continue }
            // The last line a progress bar may share: after its last redraw and erase.
            let lines = text.split(whereSeparator: \.isNewline).map { $0.split(separator: "\r").last.map(String.init) ?? "" }
            if let e = lines.last(where: { $0.hasPrefix("error: ") }) { return "rank \(rank): " + e.dropFirst(7) }
        }
        return "a rank refused its configuration (exit code \(code))"
    }

    static func mpirunPid(dir: String) -> pid_t? {
        guard let s = try? String(contentsOfFile: dir + "/mpirun.pid", encoding: .utf8) else { return nil }
        return pid_t(s.trimmingCharacters(in: .whitespacesAndNewlines))
    }

    /// Whether `pid` is alive and is attempt `attempt`'s wrapper (guards against pid reuse).
    static func isAttemptProcess(_ pid: Int, attempt: Int64) -> Bool {
        guard kill(pid_t(pid), 0) == 0, let env = LaunchContract.environment(ofProcess: pid_t(pid)) else { return false }
        return env[LaunchContract.attemptVariable] == "\(attempt)"
    }

    /// Per-rank log files of an attempt: mpirun's --output-filename layout DIR/out/<n>/rank.<r>/stdout.
    static func rankLogs(dir: String) -> [Int: String] {
        var out: [Int: String] = [:]
        let fm = FileManager.default
        for sub in (try? fm.contentsOfDirectory(atPath: dir + "/out")) ?? [] {
            for r in (try? fm.contentsOfDirectory(atPath: "\(dir)/out/\(sub)")) ?? [] where r.hasPrefix("rank.") {
                if let n = Int(r.dropFirst(5)) { out[n] = "\(dir)/out/\(sub)/\(r)/stdout" }
            }
        }
        return out
    }
}
