"""Page layout and Chinese line composition: pure Python, no Flask, no database, no ReportLab."""
