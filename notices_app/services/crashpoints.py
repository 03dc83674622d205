"""Fault injection for the crash-safety tests: `crash_point(name)` kills the process outright.

The tests run the real CLI with NOTICES_CRASH_AT=<name> (or <name>@<n>: the n-th time that
point is reached) and check that what SIGKILL leaves behind is the last good state and that
re-running completes it. SIGKILL, not an exception: no `except`, `finally` or atexit handler
gets to tidy up, exactly as when the machine loses power or the OOM killer strikes.

Without the variable a crash point is one dictionary lookup. The names in use are listed in
CRASH_POINTS so a test cannot ask for a point that no longer exists.
"""

from __future__ import annotations

import os
import signal

ENV = "NOTICES_CRASH_AT"

CRASH_POINTS = frozenset(
    {
        # services/editions.build_edition
        "edition.after_layout",  # the build row is `running`, nothing rendered yet
        "edition.page_stored",  # a page's PDF and images are stored (once per page)
        "edition.before_switch",  # every file written; the commit moving the edition is next
        # services/payments._settle_from_session (webhook, success page, reconcile)
        "payment.session_read",  # Stripe's answer is in hand, nothing applied
        "payment.before_commit",  # payment and notice changed in the open transaction
        "payment.after_commit",  # committed; what it queued for Stripe is not sent yet
        # services/publishing.publish_edition
        "publish.page_frozen",  # a page PDF is frozen (once per page)
        "publish.before_notices",  # all pages frozen and web images made, notices untouched
        "publish.notice_moved",  # a notice moved to published (once per notice)
        "publish.before_record",  # notices published; the web copies' commit is next
        # services/backup.create
        "backup.before_manifest",  # database dumped and files copied; no manifest, no rename yet
    }
)

_seen: dict[str, int] = {}


def crash_point(name: str) -> None:
    """SIGKILL this process if NOTICES_CRASH_AT names this point (and its count is reached)."""
    target = os.environ.get(ENV)
    if not target:
        return
    wanted, _, nth = target.partition("@")
    if wanted != name:
        return
    _seen[name] = _seen.get(name, 0) + 1
    if _seen[name] >= int(nth or 1):
        os.kill(os.getpid(), signal.SIGKILL)
