"""Page geometry of a publication as data: trim, type area, column grid, baseline grid."""

from __future__ import annotations

from dataclasses import dataclass

MM = 72 / 25.4  # points per millimetre


@dataclass(frozen=True)
class PageGeometry:
    name: str
    trim_w_mm: float
    trim_h_mm: float
    type_w_mm: float
    type_h_mm: float
    columns: int
    gutter_mm: float
    body_size_pt: float  # 1 em of body text
    leading_pt: float  # constant baseline pitch (clreq rule 11)
    bleed_mm: float = 3.0

    @property
    def trim_w(self) -> float:
        return self.trim_w_mm * MM

    @property
    def trim_h(self) -> float:
        return self.trim_h_mm * MM

    @property
    def type_w(self) -> float:
        return self.type_w_mm * MM

    @property
    def type_h(self) -> float:
        return self.type_h_mm * MM

    @property
    def margin_left(self) -> float:
        return (self.trim_w - self.type_w) / 2

    @property
    def margin_bottom(self) -> float:
        return (self.trim_h - self.type_h) / 2

    @property
    def gutter(self) -> float:
        return self.gutter_mm * MM

    @property
    def column_width(self) -> float:
        """Width of one column in pt, snapped to a whole number of body characters (clreq rule 12)."""
        raw = (self.type_w - (self.columns - 1) * self.gutter) / self.columns
        return int(raw // self.body_size_pt) * self.body_size_pt

    def span_width(self, columns: int) -> float:
        """Width of a block spanning `columns` whole columns, gutters included."""
        if not 1 <= columns <= self.columns:
            raise ValueError(f"a block spans 1 to {self.columns} columns, not {columns}")
        return columns * self.column_width + (columns - 1) * self.gutter_actual

    @property
    def gutter_actual(self) -> float:
        """Gutter after snapping columns to whole characters: the slack goes into the gutters."""
        if self.columns == 1:
            return 0.0
        return (self.type_w - self.columns * self.column_width) / (self.columns - 1)

    def column_x(self, index: int) -> float:
        """Left edge (pt from the trim's left edge) of column `index` (0-based)."""
        return self.margin_left + index * (self.column_width + self.gutter_actual)

    @property
    def lines_per_column(self) -> int:
        return int(self.type_h // self.leading_pt)


# Presets from domain.md: 对开 broadsheet (6 columns in a modern layout) and 四开 tabloid.
BROADSHEET = PageGeometry(
    name="对开",
    trim_w_mm=390,
    trim_h_mm=545,
    type_w_mm=350,
    type_h_mm=490,
    columns=6,
    gutter_mm=4,
    body_size_pt=9.0,
    leading_pt=13.5,
)
TABLOID = PageGeometry(
    name="四开",
    trim_w_mm=275,
    trim_h_mm=390,
    type_w_mm=235,
    type_h_mm=350,
    columns=5,
    gutter_mm=4,
    body_size_pt=9.0,
    leading_pt=13.5,
)
PRESETS = {"broadsheet": BROADSHEET, "tabloid": TABLOID}
