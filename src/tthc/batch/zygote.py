"""Kernel zygote: ``python -m tthc.batch.zygote``, driven by :class:`tthc.batch.kernels.Zygote`.

Imports the heavy modules once (:mod:`tthc.batch._preload`), prints ``ready``, then for every JSON request line on
stdin (``argv``, ``cwd``, ``env``, ``log``) forks a child that becomes an ipykernel, and prints the child's pid.
Single-threaded on purpose (forking a threaded process is unsafe). Exits when stdin closes; its kernels then see
their parent gone and exit too (ipykernel's parent poller).
"""

from __future__ import annotations

import json
import os
import signal
import sys


def _kernel_main(argv: list[str], cwd: str, env: dict[str, str], log_path: str | None) -> None:
    """Body of a forked kernel: become an ordinary ipykernel on the given connection file."""
    os.setpgrp()
    signal.signal(signal.SIGCHLD, signal.SIG_DFL)  # the kernel's own subprocesses must be waitable
    null_in = os.open(os.devnull, os.O_RDONLY)
    out = os.open(log_path or os.devnull, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
    os.dup2(null_in, 0)
    os.dup2(out, 1)
    os.dup2(out, 2)
    os.close(null_in)
    os.close(out)
    mpl_backend = os.environ.get("MPLBACKEND")
    os.environ.clear()
    os.environ.update(env)
    if mpl_backend:  # matplotlib already read it at import, keep the environment consistent with that
        os.environ["MPLBACKEND"] = mpl_backend
    os.environ["JPY_PARENT_PID"] = str(os.getppid())
    os.chdir(cwd)
    if sys.path and sys.path[0] in ("", os.getcwd()):
        del sys.path[0]
    from ipykernel.kernelapp import IPKernelApp

    prof_dir = env.get("TTHC_KERNEL_PROFILE")
    if not prof_dir:
        IPKernelApp.launch_instance(argv=argv)
        return
    # Diagnostics (python -m tthc.bench_batch --kernel-profile): the kernel's main-thread profile, written after
    # every cell because a batch kills its kernels (shutdown now=True) and nothing runs at exit.
    import cProfile

    prof = cProfile.Profile()
    target = os.path.join(prof_dir, f"kernel-{os.getpid()}.prof")

    def _dump(*_a):
        prof.dump_stats(target)  # disables the profiler
        prof.enable()

    prof.enable()
    app = IPKernelApp.instance()
    app.initialize(argv)
    app.shell.events.register("post_run_cell", _dump)
    app.start()


def _reap(_signum, _frame) -> None:
    while True:
        try:
            pid, _status = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return


def main() -> None:
    # No PDEATHSIG here: the zygote may be started from a short-lived thread. When the worker dies, stdin closes
    # and the loop below ends.
    import tthc.batch._preload  # noqa: F401

    if os.environ.get("TTHC_ZYGOTE_GC_FREEZE", "1") != "0":
        # Preloaded objects go to the permanent generation: a kernel's garbage collections then never walk (or
        # touch, which would copy their pages) the hundreds of thousands of objects it inherited.
        import gc

        gc.collect()
        gc.freeze()
    signal.signal(signal.SIGCHLD, _reap)  # reap kernels as they exit: no zombies, and their CPU time is accounted
    out = sys.stdout.buffer
    out.write(b"ready\n")
    out.flush()
    for line in sys.stdin.buffer:
        if not line.strip():
            continue
        req = json.loads(line)
        pid = os.fork()
        if pid == 0:
            code = 1
            try:
                try:  # a kernel dies with its zygote at once (ipykernel's parent poller would take a second)
                    import ctypes

                    ctypes.CDLL("libc.so.6").prctl(1, signal.SIGKILL)
                except Exception:  # noqa: BLE001
                    pass
                _kernel_main(req["argv"], req["cwd"], req["env"], req.get("log"))
                code = 0
            except SystemExit as e:
                code = e.code if isinstance(e.code, int) else (0 if e.code is None else 1)
            except BaseException:  # noqa: BLE001
                import traceback

                traceback.print_exc()
            finally:
                os._exit(code)
        out.write(f"{pid}\n".encode())
        out.flush()


if __name__ == "__main__":
    main()
