"""test_evidence_syslog.py - integration test (root) of the evidence in the syslog sink: an alert's
payload (sha256, bytes, truncated, where it was copied and saved), YARA matches and the executable's
sha256 as RFC 5424 structured data, through a real rsyslogd relay to a central rsyslogd."""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import test_evidence as ev  # noqa: E402
from lib import build_prog, check, eq, run_selected, skipped_without_root, tmpdir  # noqa: E402
from test_fleet import central_and_relay, need, parse_central, wait_for  # noqa: E402


def t_syslog_payload():
    """A page written then flipped RX under --capture and --yara, the alert sent to a relay: the
    central server's structured data names the payload's sha256 (= the bytes the program wrote),
    its size, truncated, capturedAt, the saved file, the YARA match and the executable's sha256,
    each the same as the --output line says."""
    s = need("rsyslogd")
    if s:
        return s
    d = tmpdir()
    capdir = os.path.join(d, "cap")
    os.mkdir(capdir)
    central, relay, messages = central_and_relay(d)
    central.start()
    relay.start()
    try:
        p, lines, written = ev.run("flip", "--capture", capdir, "--yara", ev.yara_file("flip"),
                                   "--syslog", f"tcp://127.0.0.1:{relay.port}")
        eq(p.returncode, 0, f"exit status ({p.stderr_text.strip()})")
        local = ev.alerts_of(lines, "x_after_w")
        eq(len(local), 1, "x_after_w alerts in the stream")
        got = wait_for(lambda: [m for m in parse_central(messages)
                                if m["msgid"] == "alert" and m["params"].get("kind") == "x_after_w"], 30)
        check(got, f"no x_after_w alert reached the central rsyslogd: relay {relay.stderr()} central {central.stderr()}")
        sd, pl = got[0]["params"], local[0]["alert"]["payload"]
        eq(sd.get("payloadSha256"), ev.sha(written), "SD payloadSha256 = sha256 of the bytes written")
        eq(sd.get("payloadBytes"), str(len(written)), "SD payloadBytes")
        eq(sd.get("payloadTruncated"), "false", "SD payloadTruncated")
        eq(sd.get("payloadCapturedAt"), "syscall", "SD payloadCapturedAt")
        eq(sd.get("payloadFile"), pl["file"], "SD payloadFile = the stream's payload.file")
        check(os.path.dirname(sd.get("payloadFile", "")) == capdir, f"saved in {capdir}: {sd.get('payloadFile')}")
        eq(sd.get("yara"), "mw_marker_flip", "SD yara")
        eq(sd.get("executableSha256"), ev.sha(ev.EVLOAD[64]), "SD executableSha256")
        eq(got[0]["json"]["alert"]["payload"], pl, "the JSON body's payload = the stream's")
    finally:
        relay.stop()
        central.stop()


def main():
    if skipped_without_root():
        return 0
    ev.EVLOAD[64] = build_prog("evload.c", "evload")
    return run_selected([("evidence/syslog_payload", t_syslog_payload)])


if __name__ == "__main__":
    sys.exit(main())
