"""The Chinese line composer: breaks one paragraph into justified lines by the clreq rules.

Rule numbers refer to /work/shared/reference/clreq-rules.md. The composer works on parallel
float lists and prefix sums rather than per-character objects: line breaking is a bisection
over cumulative widths, break opportunities are a byte map built by regexes over the few
characters that forbid a break, and per-character work is limited to slicing and summing, so
10,000 characters compose in well under 25 ms (the broadsheet must render a dozen pages a second).
"""

from __future__ import annotations

import math
from bisect import bisect_left, bisect_right
from collections import OrderedDict
from itertools import accumulate

from notices_app.layout import clreq
from notices_app.layout.types import AdvanceFn, ComposedLine, ComposeStyle, PlacedGlyph

_EPS = 1e-6
_OPEN, _CLOSE, _MIDDLE = 1, 2, 3
_KIND = {**dict.fromkeys(clreq.OPENING, _OPEN), **dict.fromkeys(clreq.CLOSING, _CLOSE)}
_KIND.update(dict.fromkeys(clreq.MIDDLE, _MIDDLE))
_GLUE_EM = 0.25  # Han/Western gap (rule 9)
_GLUE_STRETCH_EM = 0.25  # the gap may grow to ½ em before inter-character spacing starts
_SPACE_STRETCH_EM = 0.5
_SPACE_SHRINK = 0.25  # fraction of a word space that push-in may take
_WHITESPACE = str.maketrans({"\t": " ", "\n": " ", "\r": " ", "\u2028": " ", "\u2029": " "})


def _count_characters(text: str) -> int:
    return sum(1 for c in text if clreq.counts_as_character(c))


def compose(text: str, style: ComposeStyle, advance: AdvanceFn) -> list[ComposedLine]:
    """Break one paragraph (no newlines) into lines set by the clreq rules at `style.level`.

    Glyph x positions are pt from the line box's left edge; every line but the last is flush to
    `style.measure` when `style.align` is "justify".
    """
    text = text.translate(_WHITESPACE).strip(" ")
    if not text:
        return []
    return _Paragraph(text, style, advance).compose()


_WIDTH_CACHES: OrderedDict[tuple[AdvanceFn, float], dict[str, float]] = OrderedDict()
_WIDTH_CACHE_FONTS = 16


def _widths_pt(text: str, size: float, advance: AdvanceFn) -> list[float]:
    """Advances in pt, memoised per (advance function, size) across paragraphs.

    Asking the font for every character of every paragraph would cost more than composing;
    `advance` is therefore assumed to be a pure function of the character.
    """
    key = (advance, size)
    table = _WIDTH_CACHES.get(key)
    if table is None:
        table = {}
        _WIDTH_CACHES[key] = table
        if len(_WIDTH_CACHES) > _WIDTH_CACHE_FONTS:
            _WIDTH_CACHES.popitem(last=False)
    try:
        return list(map(table.__getitem__, text))
    except KeyError:
        for c in set(text).difference(table):
            a = float(advance(c))
            # A font lacking the glyph may report nonsense; a zero-width box keeps the maths finite.
            table[c] = a * size if math.isfinite(a) and 0.0 <= a < 100.0 else 0.0
        return list(map(table.__getitem__, text))


class _Paragraph:
    """Per-paragraph measurements: widths, shrinkability and break points as flat lists."""

    def __init__(self, text: str, style: ComposeStyle, advance: AdvanceFn) -> None:
        self.text = text
        self.style = style
        size = style.size
        self.em = size
        half = 0.5 * size
        n = len(text)
        self.n = n
        w = _widths_pt(text, size, advance)

        # Rules 7 and 8 are fixed adjustments made before any break decision (rule 14).
        shift: dict[int, float] = {}  # index -> how far the glyph origin moves left of its box
        kind = {m.start(): _KIND[m.group()] for m in clreq.COMPRESSIBLE_RE.finditer(text)}
        for i in kind:
            if i + 1 not in kind:
                continue
            excess = w[i] + w[i + 1] - 3 * half
            if excess <= _EPS:
                continue
            # Closing marks give up their right half; an opening mark after another mark gives up
            # its left half, so each glyph keeps its ink side.
            order = (i, i + 1) if kind[i] != _OPEN else (i + 1, i)
            for t in order:
                take = min(excess, max(0.0, w[t] - half))
                if take > 0.0:
                    self._squeeze(w, shift, kind, t, take)
                    excess -= take
        if style.indent_em > 0 and style.align == "justify" and kind.get(0) == _OPEN and w[0] > half + _EPS:
            self._squeeze(w, shift, kind, 0, w[0] - half)

        pshrink = [0.0] * n
        trim = [0.0] * n
        comp_pos: list[int] = []
        for i, k in kind.items():
            room = w[i] - half
            if room > _EPS:
                pshrink[i] = room
                comp_pos.append(i)
                if k != _OPEN:
                    trim[i] = room  # rule 6: a closing mark at line end keeps only its ink half

        base = w[:]  # width plus the gap after the character
        shrink = pshrink[:]
        glue_after: list[int] = []
        q = _GLUE_EM * size
        is_han = clreq.is_han
        for m in clreq.WESTERN_RUN_RE.finditer(text):
            a, b = m.span()
            if a > 0 and is_han(text[a - 1]):
                glue_after.append(a - 1)
            if b < n and is_han(text[b]):
                glue_after.append(b - 1)
        for i in glue_after:
            base[i] += q
            shrink[i] += q
        space_pos = [m.start() for m in clreq.SPACE_RE.finditer(text)]
        for i in space_pos:
            shrink[i] += w[i] * _SPACE_SHRINK

        self.w = w
        self.base = base
        self.trim = trim
        self.pshrink = pshrink
        self.shift = shift
        self.shift_keys = sorted(shift)
        self.kind = kind
        self.comp_pos = comp_pos
        self.glue_after = glue_after
        self.space_pos = space_pos
        self.P = list(accumulate(base, initial=0.0))
        self.Q = list(accumulate(shrink, initial=0.0))
        self.breaks, self.nospace = clreq.break_and_spacing_maps(text, style.level)

    @staticmethod
    def _squeeze(
        w: list[float], shift: dict[int, float], kind: dict[int, int], i: int, amount: float
    ) -> None:
        w[i] -= amount
        k = kind[i]
        if k == _OPEN:
            shift[i] = shift.get(i, 0.0) + amount
        elif k == _MIDDLE:
            shift[i] = shift.get(i, 0.0) + amount / 2

    # -- measuring a candidate line [s, b) -------------------------------------------------------

    def _content_end(self, s: int, b: int) -> int:
        text = self.text
        while b > s + 1 and text[b - 1] == " ":
            b -= 1
        return b

    def _natural(self, s: int, e: int) -> float:
        return self.P[e - 1] - self.P[s] + self.w[e - 1] - self.trim[e - 1]

    def _min_width(self, s: int, e: int, natural: float) -> float:
        own = self.pshrink[e - 1] - self.trim[e - 1]
        return natural - (self.Q[e - 1] - self.Q[s]) - own

    # -- line breaking ---------------------------------------------------------------------------

    def compose(self) -> list[ComposedLine]:
        style = self.style
        measure = style.measure
        indent = 0.0
        if style.align in ("justify", "left"):
            indent = min(max(style.indent_em, 0.0) * self.em, max(measure - self.em, 0.0))
        spans = self._break(measure, indent)
        if style.align == "justify" and len(spans) >= 2:
            self._fix_orphan(spans, measure, indent)
        lines: list[ComposedLine] = []
        last_index = len(spans) - 1
        for k, (s, e) in enumerate(spans):
            x0 = indent if k == 0 else 0.0
            avail = measure - x0
            nat = self._natural(s, e)
            last = k == last_index
            stretch = style.align == "justify" and not last
            target = avail if nat > avail + _EPS or stretch else nat
            if style.align == "center":
                x0 = max(0.0, (measure - target) / 2)
            elif style.align == "right":
                x0 = max(0.0, measure - target)
            lines.append(self._place(s, e, x0, target - nat, last))
        return lines

    def _break(self, measure: float, indent: float) -> list[tuple[int, int]]:
        P, breaks, n = self.P, self.breaks, self.n
        spans: list[tuple[int, int]] = []
        s = 0
        while s < n:
            avail = measure - indent if s == 0 else measure
            j = bisect_right(P, P[s] + avail + _EPS, s, n + 1) - 1
            best = breaks.rfind(1, s + 1, j + 1)
            best_adj = math.inf
            if best > 0:
                best_adj = avail - self._natural(s, self._content_end(s, best))
            # Push-in: take the next break points as long as compression can still fit them,
            # and keep whichever candidate needs the smaller adjustment (rule 1/2 resolution).
            b = breaks.find(1, j + 1)
            while b > 0:
                e = self._content_end(s, b)
                nat = self._natural(s, e)
                if nat <= avail + _EPS:
                    adj = avail - nat
                elif self._min_width(s, e, nat) <= avail + _EPS:
                    adj = nat - avail
                else:
                    break
                if adj <= best_adj + _EPS:
                    best, best_adj = b, adj
                b = breaks.find(1, b + 1)
            if best < 0:
                # One cluster longer than the line (a 300-character URL, a run of marks): break
                # it between characters rather than let it cross the measure.
                best = max(j, s + 1)
            spans.append((s, self._content_end(s, best)))
            s = best
        return spans

    def _fix_orphan(self, spans: list[tuple[int, int]], measure: float, indent: float) -> None:
        """Rule 10: pull characters down from the previous line until the last holds two."""
        text, n = self.text, self.n
        s_last = spans[-1][0]
        if _count_characters(text[s_last:]) >= 2:
            return
        s_prev = spans[-2][0]
        prev_avail = measure - indent if len(spans) == 2 else measure
        b = self.breaks.rfind(1, s_prev + 2, s_last)
        while b > 0:
            if _count_characters(text[b:]) >= 2:
                e_prev = self._content_end(s_prev, b)
                if self._natural(b, n) > measure + _EPS:
                    return
                if self._natural(s_prev, e_prev) <= prev_avail + _EPS:
                    spans[-2] = (s_prev, e_prev)
                    spans[-1] = (b, n)
                return
            b = self.breaks.rfind(1, s_prev + 2, b)

    # -- placing glyphs --------------------------------------------------------------------------

    def _place(self, s: int, e: int, x0: float, diff: float, last: bool) -> ComposedLine:
        """Glyphs of line [s, e) from `x0`, adjusted by `diff` pt (negative: shrink)."""
        adv = self.base[s:e]
        trim = self.trim[e - 1]
        adv[-1] = self.w[e - 1] - trim
        shifts: dict[int, float] = {}
        keys = self.shift_keys
        if keys:
            for i in keys[bisect_left(keys, s) : bisect_left(keys, e)]:
                shifts[i - s] = self.shift[i]
        kind = self.kind
        if trim and kind.get(e - 1) == _MIDDLE:
            shifts[e - s - 1] = shifts.get(e - s - 1, 0.0) + trim / 2

        if diff < -_EPS:
            need = -diff
            comps = self.comp_pos[bisect_left(self.comp_pos, s) : bisect_left(self.comp_pos, e)]
            pshrink = self.pshrink
            room = [pshrink[i] - (self.trim[i] if i == e - 1 else 0.0) for i in comps]
            total = sum(room)
            if total > _EPS:
                f = min(1.0, need / total)
                for i, r in zip(comps, room, strict=True):
                    take = r * f
                    adv[i - s] -= take
                    k = kind[i]
                    if k == _OPEN:
                        shifts[i - s] = shifts.get(i - s, 0.0) + take
                    elif k == _MIDDLE:
                        shifts[i - s] = shifts.get(i - s, 0.0) + take / 2
                need -= total * f
            if need > _EPS:
                gaps = self._gaps(s, e)
                total = sum(r for _, r, _ in gaps)
                if total > _EPS:
                    f = min(1.0, need / total)
                    for k, r, _ in gaps:
                        adv[k] -= r * f
                    need -= total * f
            if need > _EPS:
                self._spread(adv, s, e, -need)
        elif diff > _EPS:
            remaining = diff
            gaps = self._gaps(s, e) if self.glue_after or self.space_pos else []
            if gaps:
                total = sum(cap for _, _, cap in gaps)
                f = min(1.0, remaining / total) if total > _EPS else 0.0
                for k, _, cap in gaps:
                    adv[k] += cap * f
                remaining -= total * f
            if remaining > _EPS:
                self._spread(adv, s, e, remaining)

        pos = list(accumulate(adv, initial=x0))
        width = pos.pop()
        if shifts:
            for k, d in shifts.items():
                pos[k] -= d
        return ComposedLine(tuple(map(PlacedGlyph, self.text[s:e], pos, adv)), width, last)

    def _gaps(self, s: int, e: int) -> list[tuple[int, float, float]]:
        """Han/Western gaps and word spaces on the line: (local index, shrink room, stretch cap)."""
        em = self.em
        out: list[tuple[int, float, float]] = []
        ga = self.glue_after
        for i in ga[bisect_left(ga, s) : bisect_left(ga, e - 1)]:
            out.append((i - s, _GLUE_EM * em, _GLUE_STRETCH_EM * em))
        sp = self.space_pos
        for i in sp[bisect_left(sp, s) : bisect_left(sp, e - 1)]:
            out.append((i - s, self.w[i] * _SPACE_SHRINK, _SPACE_STRETCH_EM * em))
        return out

    def _spread(self, adv: list[float], s: int, e: int, amount: float) -> None:
        """Rule 5, last resort: share `amount` evenly between characters, never inside a pair."""
        m = e - s
        if m < 2:
            return
        nospace = self.nospace
        if nospace.find(1, s + 1, e) < 0:
            d = amount / (m - 1)
            last = adv[-1]
            adv[:] = [a + d for a in adv]
            adv[-1] = last
            return
        slots = [k for k in range(m - 1) if not nospace[s + k + 1]]
        if not slots:
            # A line holding one Latin word (a force-broken URL): letter-space it rather than
            # leave it ragged, but still never open up a dash or ellipsis pair.
            pairs = {m.start() + 1 - s for m in clreq.PAIR_RE.finditer(self.text, s, e)}
            slots = [k for k in range(m - 1) if k + 1 not in pairs]
        if not slots:
            return
        d = amount / len(slots)
        for k in slots:
            adv[k] += d
