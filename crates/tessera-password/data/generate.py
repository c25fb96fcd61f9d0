#!/usr/bin/env python3
"""Regenerate common-passwords.txt from the zxcvbn crate's password frequency list.

Development-time only; the crate never runs this. Usage:

    cargo fetch   # with zxcvbn 3.1.1 anywhere in the dependency graph (feature `zxcvbn`)
    python3 crates/tessera-password/data/generate.py ~/.cargo/registry/src/*/zxcvbn-3.1.1

The list is the `PASSWORDS` constant of `src/frequency_lists.rs`: 30,000 passwords ranked by
frequency, which Dropbox's zxcvbn built from Mark Burnett's 10 million password corpus (2015).
Each entry is normalised exactly as `tessera_password` normalises a candidate before lookup
(Unicode NFKC, then lowercase), deduplicated and sorted by UTF-8 bytes (the order Rust's
`str` comparison uses), one per line, so the crate can binary-search the file in place.
"""
import pathlib
import re
import sys
import unicodedata

src = pathlib.Path(sys.argv[1]) / "src" / "frequency_lists.rs"
text = src.read_text(encoding="utf-8")
literal = re.search(r'const PASSWORDS: &str = "(.*?)";', text, re.S).group(1)
# Undo Rust string escapes (the list contains `\\` and `\'`).
literal = re.sub(r"\\(.)", r"\1", literal)
entries = {unicodedata.normalize("NFKC", e).lower() for e in literal.split(",") if e}
assert all("\n" not in e and e == e.strip() for e in entries)
out = sorted(entries, key=lambda e: e.encode("utf-8"))
dest = pathlib.Path(__file__).with_name("common-passwords.txt")
dest.write_text("".join(e + "\n" for e in out), encoding="utf-8")
print(f"{len(out)} entries, {dest.stat().st_size} bytes -> {dest}")
