#!/usr/bin/env python3
"""Generates include/adaptrec/text/detail/unicode_tables.hpp from the Unicode
Character Database, as Debian's package `unicode-data` installs it.

    python3 scripts/generate_unicode_tables.py \
        [--ucd /usr/share/unicode] [--output include/adaptrec/text/detail/unicode_tables.hpp]

The WordPiece tokenizer of BERT checkpoints needs, per code point: the general
category classes it tests (C*, Zs, P*, Mn), Python's str.isspace(), the
canonical combining class, the full canonical decomposition (NFD), the primary
composites (NFC) and the lower-case mapping of Python's str.lower(). Everything
is range-compressed into sorted arrays that the C++ side binary-searches. The
output depends only on the input files, so running the script twice gives the
same bytes.
"""

import argparse
import os
import re
import sys

MAX_CODE_POINT = 0x10FFFF

# Hangul syllables decompose and compose algorithmically (Unicode 15.0, ch. 3.12);
# the C++ side does that, so the tables leave them out.
HANGUL_FIRST, HANGUL_LAST = 0xAC00, 0xD7A3

# Bits of the property byte; keep in step with unicode.hpp.
CONTROL = 1  # general category C* (Cc, Cf, Cs, Co, Cn)
SPACE_SEPARATOR = 2  # Zs
PUNCTUATION = 4  # P*
NONSPACING_MARK = 8  # Mn
PYTHON_WHITESPACE = 16  # str.isspace(): bidi class WS, B or S, or category Zs


def read_unicode_data(path):
    """Yields (first, last, fields) per UnicodeData.txt record; <..., First> and
    <..., Last> pairs become one record covering the range."""
    pending_first = None
    with open(path, encoding="utf-8") as lines:
        for line in lines:
            fields = line.rstrip("\n").split(";")
            if len(fields) != 15:
                raise SystemExit(f"{path}: malformed line {line!r}")
            code = int(fields[0], 16)
            if fields[1].endswith(", First>"):
                pending_first = code
                continue
            if fields[1].endswith(", Last>"):
                yield pending_first, code, fields
                pending_first = None
                continue
            yield code, code, fields


def read_property_list(path, wanted):
    """The set of code points listed with property `wanted` in a UCD property
    file (code or range ; property # comment)."""
    points = set()
    with open(path, encoding="utf-8") as lines:
        for line in lines:
            line = line.split("#", 1)[0].strip()
            if not line:
                continue
            fields = [f.strip() for f in line.split(";")]
            if fields[1] != wanted:
                continue
            if ".." in fields[0]:
                first, last = (int(x, 16) for x in fields[0].split(".."))
            else:
                first = last = int(fields[0], 16)
            points.update(range(first, last + 1))
    return points


def read_version(path):
    with open(path, encoding="utf-8") as lines:
        match = re.match(r"# \S+-(\d+\.\d+\.\d+)\.txt", lines.readline())
    if not match:
        raise SystemExit(f"{path}: first line does not name the Unicode version")
    return match.group(1)


def load(ucd):
    unicode_data = os.path.join(ucd, "UnicodeData.txt")
    properties = {}
    combining_class = {}
    decomposition = {}
    lowercase = {}
    for first, last, fields in read_unicode_data(unicode_data):
        category, ccc, bidi, decomp, lower = fields[2], int(fields[3]), fields[4], fields[5], fields[13]
        flags = 0
        if category.startswith("C"):
            flags |= CONTROL
        if category == "Zs":
            flags |= SPACE_SEPARATOR
        if category.startswith("P"):
            flags |= PUNCTUATION
        if category == "Mn":
            flags |= NONSPACING_MARK
        if bidi in ("WS", "B", "S") or category == "Zs":
            flags |= PYTHON_WHITESPACE
        for code in range(first, last + 1):
            properties[code] = flags
            if ccc:
                combining_class[code] = ccc
        # Ranges have neither decompositions nor case mappings (Hangul is algorithmic).
        if first == last:
            if decomp and not decomp.startswith("<"):
                decomposition[first] = [int(x, 16) for x in decomp.split()]
            if lower:
                lowercase[first] = [int(lower, 16)]

    # Python's str.lower() uses the full mappings: SpecialCasing.txt's
    # unconditional entries override UnicodeData's simple ones. Conditional
    # entries (Final_Sigma, language tags) are not applied character by character.
    special_casing = os.path.join(ucd, "SpecialCasing.txt")
    with open(special_casing, encoding="utf-8") as lines:
        for line in lines:
            line = line.split("#", 1)[0].strip()
            if not line:
                continue
            fields = [f.strip() for f in line.split(";")]
            if len(fields) > 4 and fields[4]:
                continue
            code = int(fields[0], 16)
            full = [int(x, 16) for x in fields[1].split()]
            if full == [code]:
                lowercase.pop(code, None)
            else:
                lowercase[code] = full

    exclusions = read_property_list(os.path.join(ucd, "DerivedNormalizationProps.txt"),
                                    "Full_Composition_Exclusion")
    # UnicodeData.txt carries no version line; its companions do.
    versions = {read_version(os.path.join(ucd, name + ".txt"))
                for name in ("SpecialCasing", "DerivedNormalizationProps", "CompositionExclusions")}
    return properties, combining_class, decomposition, lowercase, exclusions, versions


def full_decomposition(code, decomposition):
    if code not in decomposition:
        return [code]
    out = []
    for part in decomposition[code]:
        out.extend(full_decomposition(part, decomposition))
    return out


def runs(values, default):
    """Range starts and values of a function over 0..MAX_CODE_POINT given as a
    sparse dict, merging neighbours with equal values."""
    starts, run_values = [], []
    previous = None
    for code in range(MAX_CODE_POINT + 1):
        value = values.get(code, default)
        if value != previous:
            starts.append(code)
            run_values.append(value)
            previous = value
    return starts, run_values


def lowercase_runs(lowercase):
    """Single code point mappings as (first, last, stride, delta) runs: A-Z is
    one run of stride 1, Latin Extended-A's alternating upper/lower pairs are
    runs of stride 2."""
    singles = sorted((code, mapped[0] - code) for code, mapped in lowercase.items() if len(mapped) == 1)
    result = []
    for code, delta in singles:
        if result:
            first, last, stride, run_delta = result[-1]
            if run_delta == delta:
                step = code - last
                if (first == last and step in (1, 2)) or step == stride:
                    result[-1] = (first, code, step, delta)
                    continue
        result.append((code, code, 1, delta))
    return result


def format_array(ctype, name, values, per_line, formatter):
    lines = [f"inline constexpr {ctype} {name}[] = {{"]
    for i in range(0, len(values), per_line):
        lines.append("    " + ", ".join(formatter(v) for v in values[i:i + per_line]) + ",")
    lines.append("};")
    return "\n".join(lines)


def hex32(value):
    return f"0x{value:X}"


def generate(ucd):
    properties, combining_class, decomposition, lowercase, exclusions, versions = load(ucd)
    if len(versions) != 1:
        raise SystemExit(f"{ucd}: files from different Unicode versions: {sorted(versions)}")
    version = versions.pop()

    # Unassigned code points (Cn) are in no UnicodeData record: category C.
    property_starts, property_values = runs(properties, CONTROL)
    ccc_starts, ccc_values = runs(combining_class, 0)

    decomposition_keys = sorted(c for c in decomposition if not HANGUL_FIRST <= c <= HANGUL_LAST)
    decomposition_offsets, decomposition_pool = [0], []
    for code in decomposition_keys:
        decomposition_pool.extend(full_decomposition(code, decomposition))
        decomposition_offsets.append(len(decomposition_pool))
    if len(decomposition_pool) >= 1 << 16:
        raise SystemExit("decomposition pool no longer fits uint16 offsets")

    # Primary composites: canonical decompositions of two code points that are
    # not excluded from composition (UAX #15, section 1.3 and D114).
    compositions = sorted(((pair[0] << 21) | pair[1], code) for code, pair in decomposition.items()
                          if len(pair) == 2 and code not in exclusions)

    runs_lower = lowercase_runs(lowercase)
    multi_lower = sorted((code, mapped) for code, mapped in lowercase.items() if len(mapped) > 1)
    multi_offsets, multi_pool = [0], []
    for _, mapped in multi_lower:
        multi_pool.extend(mapped)
        multi_offsets.append(len(multi_pool))

    out = []
    out.append("#pragma once")
    out.append(f"// GENERATED from the Unicode Character Database {version} (UnicodeData.txt,")
    out.append("// SpecialCasing.txt, DerivedNormalizationProps.txt of Debian's unicode-data) by")
    out.append("//   python3 scripts/generate_unicode_tables.py --ucd /usr/share/unicode")
    out.append("// Do not edit; change the script and run it again. The lookups that read")
    out.append("// these tables are in adaptrec/text/unicode.hpp.")
    out.append("#include <cstdint>")
    out.append("")
    out.append("namespace adaptrec::text::detail::unicode_tables {")
    out.append("")
    out.append(f'inline constexpr const char* unicode_version = "{version}";')
    out.append("")
    out.append("// Property bits per code point, constant from property_starts[i] up to the next start.")
    out.append(f"inline constexpr std::uint8_t control = {CONTROL};  // general category C*")
    out.append(f"inline constexpr std::uint8_t space_separator = {SPACE_SEPARATOR};  // Zs")
    out.append(f"inline constexpr std::uint8_t punctuation = {PUNCTUATION};  // P*")
    out.append(f"inline constexpr std::uint8_t nonspacing_mark = {NONSPACING_MARK};  // Mn")
    out.append(f"inline constexpr std::uint8_t python_whitespace = {PYTHON_WHITESPACE};"
               "  // bidi WS, B, S or Zs")
    out.append(format_array("std::uint32_t", "property_starts", property_starts, 10, hex32))
    out.append(format_array("std::uint8_t", "property_values", property_values, 24, str))
    out.append("")
    out.append("// Canonical combining class, constant from ccc_starts[i] up to the next start.")
    out.append(format_array("std::uint32_t", "ccc_starts", ccc_starts, 10, hex32))
    out.append(format_array("std::uint8_t", "ccc_values", ccc_values, 20, str))
    out.append("")
    out.append("// Full canonical decomposition of decomposition_keys[i]: pool entries")
    out.append("// decomposition_offsets[i] .. decomposition_offsets[i + 1]. Hangul is algorithmic.")
    out.append(format_array("std::uint32_t", "decomposition_keys", decomposition_keys, 10, hex32))
    out.append(format_array("std::uint16_t", "decomposition_offsets", decomposition_offsets, 14, str))
    out.append(format_array("std::uint32_t", "decomposition_pool", decomposition_pool, 10, hex32))
    out.append("")
    out.append("// Primary composites: (first << 21 | second) -> composite, sorted by key.")
    out.append(format_array("std::uint64_t", "composition_keys", [k for k, _ in compositions], 6, hex32))
    out.append(format_array("std::uint32_t", "composition_values", [v for _, v in compositions], 10, hex32))
    out.append("")
    out.append("// Single code point lower-case mappings as runs: every stride-th code point")
    out.append("// from first to last maps to itself + delta.")
    out.append("struct LowercaseRun {")
    out.append("  std::uint32_t first;")
    out.append("  std::uint32_t last;")
    out.append("  std::uint32_t stride;")
    out.append("  std::int32_t delta;")
    out.append("};")
    out.append(format_array("LowercaseRun", "lowercase_runs", runs_lower, 4,
                            lambda r: f"{{{hex32(r[0])}, {hex32(r[1])}, {r[2]}, {r[3]}}}"))
    out.append("")
    out.append("// Lower-case mappings to several code points (SpecialCasing.txt, unconditional).")
    out.append(format_array("std::uint32_t", "multi_lowercase_keys", [c for c, _ in multi_lower], 10, hex32))
    out.append(format_array("std::uint16_t", "multi_lowercase_offsets", multi_offsets, 14, str))
    out.append(format_array("std::uint32_t", "multi_lowercase_pool", multi_pool, 10, hex32))
    out.append("")
    out.append("}  // namespace adaptrec::text::detail::unicode_tables")
    return "\n".join(out) + "\n"


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--ucd", default="/usr/share/unicode",
                        help="folder with UnicodeData.txt, SpecialCasing.txt, DerivedNormalizationProps.txt")
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    parser.add_argument("--output", default=os.path.join(root, "include", "adaptrec", "text", "detail",
                                                         "unicode_tables.hpp"))
    args = parser.parse_args()
    text = generate(args.ucd)
    with open(args.output, "w", encoding="utf-8", newline="\n") as out:
        out.write(text)
    print(f"wrote {args.output} ({len(text)} bytes)", file=sys.stderr)


if __name__ == "__main__":
    main()
