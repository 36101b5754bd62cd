"""``tthc lab``: register the project kernel and start JupyterLab on 127.0.0.1 in the notebooks folder."""

from __future__ import annotations


def register(sub):
    p = sub.add_parser("lab", help="register the 'tthc' kernel and start JupyterLab (loopback only) on notebooks/")
    p.add_argument("--port", type=int, default=None, help="port (default 8888, or a free one if taken)")
    g = p.add_mutually_exclusive_group()
    g.add_argument("--browser", dest="open_browser", action="store_true", default=None,
                   help="open a browser window (default: only when a display is available)")
    g.add_argument("--no-browser", dest="open_browser", action="store_false", help="never open a browser")
    p.add_argument("--kernel-only", action="store_true",
                   help="only register the kernelspec under this environment and exit")
    p.add_argument("--dry-run", action="store_true", help="print the JupyterLab command line and URL, do not start")
    return p


def run(args) -> int:
    from .. import lab

    if args.kernel_only:
        print(f"tthc lab: kernel '{lab.KERNEL_NAME}' registered in {lab.install_kernelspec()}")
        return 0
    return lab.launch(port=args.port, open_browser=args.open_browser, dry_run=args.dry_run)
