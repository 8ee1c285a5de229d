#!/usr/bin/env python3
"""Starts the project's GoNB kernel through jupyter_client and runs a cell that imports ddpm.

This is what JupyterLab does when a reader opens a notebook (`make lab`): if the kernelspec, the
GoNB binary, goimports or the XLA plugin are not where the kernel looks for them, it fails here.
"""
import sys
import time
from pathlib import Path

from jupyter_client.manager import start_new_kernel

KERNEL = "gonb-ddpm"
CELLS = [
    "!*go mod edit -require=github.com/learn-ddpm/ddpm-go@v0.0.0 -replace=github.com/learn-ddpm/ddpm-go=$GONB_DIR/..",
    'import "github.com/learn-ddpm/ddpm-go/ddpm"\n\n%%\n'
    'sched := ddpm.MustNewSchedule("linear", ddpm.PaperT)\n'
    'backend := ddpm.MustNewBackend()\n'
    'fmt.Printf("T=%d alphabar_T=%.4e backend=%s\\n", sched.T, sched.AlphaBar[sched.T], backend.Name())',
]
WANT = "T=1000 alphabar_T=4.0358e-05 backend=xla"


def run(client, code, timeout=600):
    """Executes code and returns its stdout; raises on an error reply or stderr that says it failed."""
    msg_id = client.execute(code)
    stdout, stderr = [], []
    deadline = time.monotonic() + timeout
    while True:
        msg = client.get_iopub_msg(timeout=max(1, deadline - time.monotonic()))
        if msg["parent_header"].get("msg_id") != msg_id:
            continue
        kind, content = msg["msg_type"], msg["content"]
        if kind == "stream":
            (stdout if content["name"] == "stdout" else stderr).append(content["text"])
        elif kind == "error":
            raise RuntimeError(f"{content['ename']}: {content['evalue']}")
        elif kind == "status" and content["execution_state"] == "idle":
            break
    reply = client.get_shell_msg(timeout=60)
    if reply["content"]["status"] != "ok":
        raise RuntimeError(f"cell failed: {reply['content']}\n{''.join(stderr)}")
    return "".join(stdout), "".join(stderr)


def main():
    start = time.monotonic()
    root = Path(__file__).resolve().parent.parent
    log_path = root / "build" / "check_kernel.log"
    log_path.parent.mkdir(parents=True, exist_ok=True)
    log = open(log_path, "w")  # GoNB's own log, kept out of the test output
    manager, client = start_new_kernel(kernel_name=KERNEL, startup_timeout=120, cwd=str(root / "notebooks"), stderr=log)
    try:
        out = ""
        for cell in CELLS:
            out, err = run(client, cell)
            if "exit status" in err:
                sys.exit(f"check_kernel: the cell's program failed:\n{err}\n(kernel log: {log_path})")
        if WANT not in out:
            sys.exit(f"check_kernel: kernel {KERNEL} printed {out!r}, want {WANT!r}")
        print(f"kernel {KERNEL}: started through jupyter_client, imported ddpm and loaded the XLA backend in "
              f"{time.monotonic() - start:.0f} s: {out.strip()}")
    finally:
        client.stop_channels()
        manager.shutdown_kernel()  # graceful: GoNB then stops its gopls too
        log.close()


if __name__ == "__main__":
    main()
