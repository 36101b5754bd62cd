"""Fresh, pre-warmed Jupyter kernels, cheaply.

A report must run in its own kernel (one unit can never leak state into the next), but starting a kernel and importing
pandas/seaborn/tthc costs about a second of CPU, as much as the rest of a report. Two things remove that cost:

* **fork kernels**: a zygote process (multiprocessing ``forkserver`` with :mod:`tthc.batch._preload`) imports
  ipykernel and the scientific stack once; each kernel is a fork of it (a few milliseconds). The provisioner below
  plugs that into ``jupyter_client`` so nbclient sees an ordinary kernel manager.
* **pre-warming**: :class:`KernelPool` always keeps the next kernel started, and its warm-up cell executed, in a
  background thread while the current report executes.

Parallel kernel launches can race for ports (``ZMQError: Address already in use``): starts are retried.
"""

from __future__ import annotations

import asyncio
import logging
import os
import queue
import sys
import threading
import time
import uuid
from dataclasses import dataclass

log = logging.getLogger(__name__)

#: executed silently in each kernel before it is handed out (no execution count, no output in the notebook)
WARMUP_CODE = "import tthc, pandas, seaborn\ndel tthc, pandas, seaborn\n"
INLINE_BACKEND = "module://matplotlib_inline.backend_inline"
START_RETRIES = 4


@dataclass(frozen=True)
class ZygoteSetup:
    """How this process gets its kernel zygote, given explicitly by its owner (a batch worker's
    :class:`~tthc.batch.worker.Runner`, see :func:`configure_zygote`), never read from the environment.

    ``socket`` / ``socket_backend``: the batch's shared zygote (:func:`start_shared_zygote`) and the matplotlib
    backend it preloaded; ``warm``: ``(period, window, lang)`` whose caches an own zygote fills before forking;
    ``gc_freeze``: an own zygote freezes its preloaded objects."""

    socket: str | None = None
    socket_backend: str | None = None
    warm: tuple[str, str, str] | None = None
    gc_freeze: bool = True


def zygote_argv(mpl_backend: str, listen: str | None = None, warm: tuple[str, str, str] | None = None,
                gc_freeze: bool = True) -> list[str]:
    """The command line of a ``python -m tthc.batch.zygote`` process (see :func:`tthc.batch.zygote.parse_args`)."""
    return ([sys.executable, "-m", "tthc.batch.zygote", "--backend", mpl_backend]
            + (["--listen", listen] if listen else []) + (["--warm", *warm] if warm else [])
            + ([] if gc_freeze else ["--no-gc-freeze"]))


class Zygote:
    """A ``python -m tthc.batch.zygote`` process: preloaded, single-threaded, forks a kernel per request.

    ``listen``: also serve requests on that Unix socket (a batch's shared zygote, see :func:`start_shared_zygote`);
    then the constructor does not wait for the preload: clients wait for their first kernel instead."""

    def __init__(self, mpl_backend: str | None = None, listen: str | None = None, env: dict | None = None,
                 warm: tuple[str, str] | None = None, gc_freeze: bool = True):
        import subprocess

        self.mpl_backend = mpl_backend or INLINE_BACKEND
        self.listen = listen
        env = dict(os.environ if env is None else env)
        for var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
            env.setdefault(var, "1")
        self._lock = threading.Lock()
        self._ready = False
        cmd = zygote_argv(self.mpl_backend, listen, warm, gc_freeze)
        self.proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, env=env, close_fds=True)
        try:
            if listen:
                deadline = time.monotonic() + 30
                while not os.path.exists(listen):  # bound before the preload: milliseconds
                    if self.proc.poll() is not None:  # it says why on its stdout (its one line, no traceback)
                        why = self.proc.stdout.readline().decode(errors="replace").strip()
                        why = why or f"exit code {self.proc.returncode}"
                        raise RuntimeError(f"kernel zygote failed to start: {why}")
                    if time.monotonic() > deadline:
                        raise RuntimeError(f"kernel zygote did not bind {listen} in time")
                    time.sleep(0.005)
            else:
                self._wait_ready()
        except BaseException:
            self.close()  # no process, socket or folder left behind
            raise

    def _wait_ready(self) -> None:
        if not self._ready:
            if self.proc.stdout.readline().strip() != b"ready":
                raise RuntimeError("kernel zygote failed to start (see the errors above)")
            self._ready = True

    def alive(self) -> bool:
        return self.proc.poll() is None

    def fork(self, argv: list[str], cwd: str, env: dict[str, str], log_path: str | None = None) -> int:
        import json

        with self._lock:
            self._wait_ready()
            if self.proc.poll() is not None:
                raise RuntimeError(f"kernel zygote exited with code {self.proc.returncode}")
            self.proc.stdin.write(json.dumps({"argv": argv, "cwd": cwd, "env": env, "log": log_path}).encode() + b"\n")
            self.proc.stdin.flush()
            line = self.proc.stdout.readline()
        if not line.strip().isdigit():
            raise RuntimeError(f"kernel zygote did not fork: {line!r}")
        return int(line)

    def close(self) -> None:
        # Its kernels are disposable and die with it (PR_SET_PDEATHSIG): no need for a slow, orderly exit.
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait()
        for f in (self.proc.stdin, self.proc.stdout):
            try:
                f.close()
            except OSError:
                pass
        if self.listen:  # killed, it cannot tidy up itself: its socket and the folder made for it
            for remove, path in ((os.unlink, self.listen), (os.rmdir, os.path.dirname(self.listen))):
                try:
                    remove(path)
                except OSError:
                    pass
            sweep_zygote_dirs()  # and those of zygotes killed with an earlier batch


class ZygoteClient:
    """Another process's zygote, reached on its Unix socket (:attr:`ZygoteSetup.socket`): the batch's workers share
    it."""

    def __init__(self, path: str, mpl_backend: str):
        self.path = path
        self.mpl_backend = mpl_backend

    def alive(self) -> bool:
        return self.path not in _broken_shared and os.path.exists(self.path)

    def fork(self, argv: list[str], cwd: str, env: dict[str, str], log_path: str | None = None) -> int:
        import json
        import socket

        try:
            with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
                s.settimeout(120)  # the first request waits for the zygote's preload
                s.connect(self.path)
                s.sendall(json.dumps({"argv": argv, "cwd": cwd, "env": env, "log": log_path}).encode() + b"\n")
                with s.makefile("rb") as f:
                    line = f.readline()
        except OSError as e:
            _broken_shared.add(self.path)
            raise RuntimeError(f"shared kernel zygote at {self.path} unreachable: {e}") from e
        if not line.strip().isdigit():
            _broken_shared.add(self.path)
            raise RuntimeError(f"shared kernel zygote did not fork: {line!r}")
        return int(line)

    def close(self) -> None:
        pass  # the batch that started it stops it


def start_shared_zygote(mpl_backend: str | None, env: dict[str, str], warm: tuple[str, str] | None = None,
                        gc_freeze: bool = True) -> tuple[Zygote, dict[str, str]]:
    """One zygote for all the workers of a batch on this machine, started now (its preload overlaps the batch's
    planning). Returns it and what to tell the workers (``{"socket": path, "backend": name}``, for their
    :class:`ZygoteSetup`); a worker whose kernelspec asks for another backend, or that cannot reach it, starts its
    own."""
    import shutil

    sweep_zygote_dirs()
    d = _socket_dir()
    path = os.path.join(d, ZYGOTE_SOCKET_NAME)
    try:
        z = Zygote(mpl_backend, listen=path, env=env, warm=warm, gc_freeze=gc_freeze)
    except BaseException:
        shutil.rmtree(d, ignore_errors=True)
        raise
    return z, {"socket": path, "backend": z.mpl_backend}


ZYGOTE_DIR_PREFIX = "tthc-zygote-"
ZYGOTE_SOCKET_NAME = "zygote.sock"
#: a Unix socket's path must fit in ``sun_path`` (108 bytes with its NUL on Linux, 104 on macOS): keep a margin
SOCKET_PATH_MAX = 100


def socket_roots() -> list[str]:
    """Where shared zygotes' socket folders go: the temporary folder, and ``/tmp`` for when that one's path is
    too long for a socket (a deep ``TMPDIR``, as under pytest)."""
    import tempfile

    roots = [tempfile.gettempdir()]
    if os.path.isdir("/tmp") and os.path.realpath("/tmp") != os.path.realpath(roots[0]):
        roots.append("/tmp")
    return roots


def _socket_dir() -> str:
    """A new private folder (mode 0700) for a shared zygote's socket, in the first of :func:`socket_roots` where
    the socket's path is short enough to bind and a folder can be made."""
    import tempfile

    errors = []
    for root in socket_roots():
        probe = os.path.join(root, ZYGOTE_DIR_PREFIX + "x" * 8, ZYGOTE_SOCKET_NAME)  # mkdtemp adds 8 characters
        if len(os.fsencode(probe)) > SOCKET_PATH_MAX:
            errors.append(f"{root}: path too long for a Unix socket")
            continue
        try:
            return tempfile.mkdtemp(prefix=ZYGOTE_DIR_PREFIX, dir=root)
        except OSError as e:
            errors.append(f"{root}: {e}")
    raise RuntimeError("no folder for the shared kernel zygote's socket (" + "; ".join(errors) + ")")


def sweep_zygote_dirs(tmp_root: str | None = None) -> int:
    """Remove the socket folders of shared zygotes that are gone (a zygote removes its own on exit, but not when it
    was SIGKILLed with its batch): a folder whose socket refuses connections, or that has none. Returns how many.
    Looks in ``tmp_root``, else in every folder of :func:`socket_roots`."""
    import shutil
    import socket
    from pathlib import Path

    n = 0
    dirs = [d for root in ([tmp_root] if tmp_root else socket_roots())
            for d in Path(root).glob(ZYGOTE_DIR_PREFIX + "*")]
    for d in dirs:
        sock = d / ZYGOTE_SOCKET_NAME
        try:
            st = d.stat()
        except OSError:
            continue  # gone meanwhile (another batch swept it)
        if not d.is_dir() or st.st_uid != os.getuid():
            continue
        if sock.exists():
            try:
                with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
                    s.settimeout(1)
                    s.connect(str(sock))
                continue  # a live zygote (another batch's): leave it
            except OSError:
                pass
        elif time.time() - st.st_mtime < 60:
            continue  # just created, the zygote is about to bind
        shutil.rmtree(d, ignore_errors=True)
        n += 1
    return n


_zygote_lock = threading.Lock()
_zygote: "Zygote | ZygoteClient | None" = None
#: shared zygotes that failed this process once: it never asks them again
_broken_shared: set[str] = set()
_setup = ZygoteSetup()


def configure_zygote(setup: ZygoteSetup) -> None:
    """Tell this process how to get its zygote (the next :func:`zygote` call follows it; a zygote already started
    under other settings is closed)."""
    global _setup, _zygote
    with _zygote_lock:
        if setup != _setup and _zygote is not None:
            _zygote.close()
            _zygote = None
        _setup = setup


def zygote(mpl_backend: str | None = None) -> "Zygote | ZygoteClient":
    """This process's kernel zygote: the batch's shared one when :func:`configure_zygote` named one for this
    backend and it answers, else its own, started on first use (restarted if it died or the backend differs)."""
    global _zygote
    want = mpl_backend or INLINE_BACKEND
    with _zygote_lock:
        if _zygote is not None and (not _zygote.alive() or _zygote.mpl_backend != want):
            _zygote.close()
            _zygote = None
        if _zygote is None:
            setup = _setup
            client = ZygoteClient(setup.socket, want) if setup.socket else None
            if client is not None and setup.socket_backend == want and client.alive():
                _zygote = client
            else:
                _zygote = Zygote(mpl_backend, warm=setup.warm, gc_freeze=setup.gc_freeze)
    return _zygote


def fork_kernel(mpl_backend: str | None, argv: list[str], cwd: str, env: dict[str, str],
                log_path: str | None = None) -> int:
    """Fork a kernel from :func:`zygote`; if the shared zygote fails, never ask it again and use an own one."""
    z = zygote(mpl_backend)
    try:
        return z.fork(argv, cwd, env, log_path)
    except RuntimeError:
        if not isinstance(z, ZygoteClient):
            raise
        log.warning("shared kernel zygote at %s failed; this worker starts its own", z.path)
        return zygote(mpl_backend).fork(argv, cwd, env, log_path)


def describe_zygote() -> str:
    """Which zygote this process's kernels come from, for run logs."""
    z = _zygote
    if isinstance(z, ZygoteClient):
        return f"forks of the batch's shared zygote ({z.path})"
    if isinstance(z, Zygote):
        return f"forks of this worker's own zygote (pid {z.proc.pid})"
    return "not forked"


def close_zygote() -> None:
    global _zygote
    with _zygote_lock:
        if _zygote is not None:
            _zygote.close()
            _zygote = None


class _PidHandle:
    """A ``subprocess.Popen`` look-alike for a kernel forked by the zygote (the zygote reaps it)."""

    stdin = stdout = stderr = None
    returncode = None

    def __init__(self, pid: int):
        self.pid = pid

    def poll(self):
        if self.returncode is None:
            try:
                os.kill(self.pid, 0)
            except ProcessLookupError:
                self.returncode = 0
            except PermissionError:  # pid reused by someone else: ours is gone
                self.returncode = 0
        return self.returncode

    def wait(self, timeout=None):
        deadline = None if timeout is None else time.monotonic() + timeout
        while self.poll() is None:
            if deadline is not None and time.monotonic() > deadline:
                import subprocess

                raise subprocess.TimeoutExpired(str(self.pid), timeout)
            time.sleep(0.01)
        return self.returncode

    def send_signal(self, sig):
        if self.poll() is None:
            try:
                os.kill(self.pid, sig)
            except ProcessLookupError:
                pass

    def kill(self):
        import signal

        self.send_signal(signal.SIGKILL)

    def terminate(self):
        import signal

        self.send_signal(signal.SIGTERM)


def _fork_provisioner_class():
    from jupyter_client.provisioning.local_provisioner import LocalProvisioner

    class ForkProvisioner(LocalProvisioner):
        """Launches ``python -m ipykernel_launcher ...`` as a fork of the preloaded zygote instead of exec."""

        async def launch_kernel(self, cmd, **kwargs):
            try:
                i = cmd.index("ipykernel_launcher")
            except ValueError:
                return await super().launch_kernel(cmd, **kwargs)
            # no thread copying the kernel's OS-level stdout/stderr into the notebook: a report writes through
            # Python (still captured), and that watcher cost ≈ 2 % of a batch's CPU (py-spy)
            argv = [str(a) for a in cmd[i + 1:]] + ["--IPKernelApp.capture_fd_output=False"]
            env = {str(k): str(v) for k, v in (kwargs.get("env") or os.environ).items()}
            cwd = str(kwargs.get("cwd") or os.getcwd())
            backend = (self.kernel_spec.env or {}).get("MPLBACKEND") if self.kernel_spec else None
            pid = fork_kernel(backend, argv, cwd, env, os.environ.get("TTHC_KERNEL_LOG"))
            self.process = _PidHandle(pid)
            self.pid = pid
            self.pgid = None  # never killpg: the group is the kernel's own, but be safe
            self.cwd = cwd
            return self.connection_info

    return ForkProvisioner


def _kernel_env() -> dict[str, str]:
    env = dict(os.environ)
    env.pop("MPLBACKEND", None)  # a test/CI Agg setting must not stop figures being embedded in the report
    env.setdefault("PYDEVD_DISABLE_FILE_VALIDATION", "1")
    for var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        env.setdefault(var, "1")
    return env


from ..kernel import is_port_race as _is_port_race  # noqa: E402 - one home: tthc.kernel


async def start_kernel(cwd: str | os.PathLike, fork: bool = True, warmup: str | None = WARMUP_CODE,
                       kernel_name: str = "python3", startup_timeout: float = 60):
    """Start one kernel (retrying port races), run the warm-up code silently, return its AsyncKernelManager."""
    from jupyter_client.manager import AsyncKernelManager

    last: BaseException | None = None
    for attempt in range(START_RETRIES):
        km = AsyncKernelManager(kernel_name=kernel_name)
        if fork:
            km.kernel_id = str(uuid.uuid4())
            km.provisioner = _fork_provisioner_class()(kernel_id=km.kernel_id, kernel_spec=km.kernel_spec, parent=km)
        kc = None
        try:
            await km.start_kernel(cwd=str(cwd), env=_kernel_env(),
                                  extra_arguments=["--HistoryManager.hist_file=:memory:"])
            kc = km.client()
            kc.start_channels()
            await kc.wait_for_ready(timeout=startup_timeout)
            if warmup:
                code = warmup
                if (km.kernel_spec.env or {}).get("MPLBACKEND", INLINE_BACKEND) == INLINE_BACKEND:
                    code = "%matplotlib inline\n" + code
                reply = await kc.execute_interactive(code, silent=True, store_history=False,
                                                     timeout=startup_timeout)
                if reply["content"].get("status") != "ok":
                    c = reply["content"]
                    raise RuntimeError(f"kernel warm-up failed: {c.get('ename')}: {c.get('evalue')}")
            return km
        except Exception as e:  # noqa: BLE001 - classify, retry the races, re-raise the rest
            last = e
            try:
                await km.shutdown_kernel(now=True)
            except Exception:  # noqa: BLE001
                pass
            if not _is_port_race(e) or attempt == START_RETRIES - 1:
                raise
            log.warning("kernel start raced for a port (%s); retry %d", e, attempt + 1)
            await asyncio.sleep(0.05 * (attempt + 1))
        finally:
            if kc is not None:
                kc.stop_channels()
    raise last  # pragma: no cover


async def shutdown_kernel(km) -> None:
    try:
        await km.shutdown_kernel(now=True)
    except Exception:  # noqa: BLE001 - a dead kernel is as good as a stopped one
        pass
    try:
        await km.cleanup_resources()
    except Exception:  # noqa: BLE001
        pass


class KernelPool:
    """Keeps ``depth`` warmed kernels ready; :meth:`get` hands one out and starts its replacement in the background.

    Each kernel is used for one report only. Start failures are passed to the caller of :meth:`get` (so a broken
    environment fails the report with a clear error rather than hanging).
    """

    def __init__(self, cwd: str | os.PathLike, fork: bool = True, depth: int = 1, warmup: str | None = WARMUP_CODE,
                 kernel_name: str = "python3"):
        self.cwd = str(cwd)
        self.kernel_name = kernel_name
        self.fork = fork
        self.warmup = warmup
        self._ready: queue.Queue = queue.Queue()
        self._closed = False
        self._threads: list[threading.Thread] = []
        self.start_seconds: list[float] = []
        for _ in range(max(1, depth)):
            self._spawn()

    def _spawn(self) -> None:
        t = threading.Thread(target=self._start_one, daemon=True, name="tthc-kernel-prewarm")
        t.start()
        self._threads.append(t)

    def _start_one(self) -> None:
        t0 = time.perf_counter()
        try:
            km = asyncio.run(start_kernel(self.cwd, fork=self.fork, warmup=self.warmup, kernel_name=self.kernel_name))
            self.start_seconds.append(time.perf_counter() - t0)
            self._ready.put(("ok", km))
        except BaseException as e:  # noqa: BLE001 - delivered to get()
            self._ready.put(("error", e))

    def get(self, timeout: float = 120):
        """A started, warmed AsyncKernelManager (the caller shuts it down after its one report)."""
        if self._closed:
            raise RuntimeError("kernel pool closed")
        status, item = self._ready.get(timeout=timeout)
        self._threads = [t for t in self._threads if t.is_alive()]
        self._spawn()
        if status == "error":
            raise item
        return item

    def close(self, wait: bool = False) -> None:
        """Shut the ready kernels down; a kernel still starting is left to die with the zygote (or, for ordinary
        kernels, with this process) unless ``wait``."""
        self._closed = True
        if wait:
            for t in self._threads:
                t.join(timeout=60)
        while True:
            try:
                status, item = self._ready.get_nowait()
            except queue.Empty:
                break
            if status == "ok":
                asyncio.run(shutdown_kernel(item))


def execute_notebook(nb, km, timeout: float | None = 600, cwd: str | None = None):
    """Run every cell of ``nb`` (in place) on the started kernel ``km``; raises nbclient's CellExecutionError."""
    from nbclient import NotebookClient

    client = NotebookClient(nb, km=km, timeout=timeout, allow_errors=False, record_timing=False,
                            resources={"metadata": {"path": cwd}} if cwd else {})

    async def _run():
        try:
            await client.async_execute()
        finally:
            if client.kc is not None:
                client.kc.stop_channels()
            await shutdown_kernel(km)

    asyncio.run(_run())
    return nb
