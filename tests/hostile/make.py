"""Write the hostile and edge-case scenario files of ``tests/hostile/cases/``.

Run ``python tests/hostile/make.py`` after changing the list; the files are committed, so that
the suite does not depend on this script's output staying the same. Each case is a file that
a careless or hostile user could hand to sim: every one must end with status 0 or 2, one line
per problem, no traceback and no NaN (``tests/test_hostile.py``).
"""

from __future__ import annotations

import shutil
from pathlib import Path

CASES = Path(__file__).parent / "cases"

VALID = """\
name: ok
countries:
  kz:
    baseline: {value: 90, period: 2025-01/2025-07}
    target: {value: 1000, by: 2028}
    growth: {rate: 40% to 120%}
"""

ROUTED = """\
name: routed
routes:
  r: {closed_months: [1, 2], reroute: 50%}
  s: {}
countries:
  kz:
    baseline: {value: 90, period: 2025-01/2025-07}
    target: {value: 1000, by: 2028}
    growth: {rate: 40% to 120%, volatility: 25%, noise: 10%}
    routes: {r: 0.5, s: 0.5}
"""


def sub(old: str, new: str, text: str = VALID) -> str:
    assert old in text, old
    return text.replace(old, new, 1)


def value(text: str) -> str:
    """VALID with the baseline value written as ``text``."""
    return sub("value: 90,", f"value: {text},")


def rate(text: str) -> str:
    return sub("rate: 40% to 120%", f"rate: {text}")


def target(text: str) -> str:
    return sub("value: 1000,", f"value: {text},")


def period(text: str) -> str:
    return sub("period: 2025-01/2025-07", f"period: {text}")


def deadline(text: str) -> str:
    return sub("by: 2028", f"by: {text}")


def growth(extra: str) -> str:
    return sub("growth: {rate: 40% to 120%}", f"growth: {{rate: 40% to 120%, {extra}}}")


def event(body: str, text: str = ROUTED) -> str:
    return text + f"events:\n  e: {body}\n"


TEXT: dict[str, str] = {
    # --- the file as a whole -----------------------------------------------------------------
    "whitespace_only": "   \n\n\t\n",
    "document_marker_only": "---\n",
    "two_documents": VALID + "---\n" + VALID,
    "top_level_number": "42\n",
    "top_level_null": "~\n",
    "crlf_line_endings": VALID.replace("\n", "\r\n"),
    "lone_carriage_returns": VALID.replace("\n", "\r"),
    "tab_indent": VALID.replace("  kz:", "\tkz:"),
    "very_long_line": VALID.replace("name: ok", "name: " + "x" * 20_000),
    "deep_flow_nesting": "name: " + "{a: " * 60 + "1" + "}" * 60 + "\n",
    "deep_block_nesting": "".join("  " * i + f"k{i}:\n" for i in range(60)) + "  " * 60 + "v\n",
    "anchor_and_alias": "a: &x 1\nname: *x\n" + VALID.split("\n", 1)[1],
    "merge_key": VALID + "base: &b {x: 1}\nother:\n  <<: *b\n",
    "python_tag": VALID.replace("name: ok", "name: !!python/object/apply:os.system ['true']"),
    "binary_tag": VALID.replace("name: ok", "name: !!binary aGVsbG8="),
    "custom_tag": VALID.replace("value: 1000", "value: !money 1000"),
    "timestamp_as_period": VALID.replace("by: 2028", "by: 2028-01-01"),
    "complex_key": VALID + "? [a, b]\n: 1\n",
    "null_key": VALID + "~: 1\n",
    "boolean_key_yes": VALID + "yes: 1\n",
    "integer_key": VALID + "1: one\n",
    "key_named_key_marker": VALID + "'[key]': 1\n",
    "key_named_key_marker_in_country": VALID + "    '[key]': 1\n",
    "key_named_x_in_country": VALID + "    '[x]': 1\n",
    "key_named_key_marker_in_baseline": sub(
        "period: 2025-01/2025-07}", "period: 2025-01/2025-07, '[key]': 1}"
    ),
    "key_with_newline": VALID + '"bad\\nkey": 1\n',
    "key_with_escape_sequence": VALID + '"\\e[31mred": 1\n',
    "zero_width_space_in_key": VALID.replace("  kz:", "  k\u200bz:"),
    "right_to_left_override": VALID.replace("name: ok", "name: \u202eko"),
    "emoji_country_id": VALID.replace("  kz:", "  🇰🇿:"),
    "unicode_country_id": VALID.replace("  kz:", "  казахстан:"),
    "country_id_with_dot": VALID.replace("  kz:", "  kz.x:"),
    "very_long_key": VALID.replace("  kz:", "  k" + "z" * 5000 + ":"),
    "duplicate_country": VALID + VALID.split("countries:\n", 1)[1],
    "duplicate_field_in_flow": sub("value: 90,", "value: 90, value: 91,"),
    "nul_byte": VALID.replace("name: ok", "name: o\x00k"),
    "bell_and_escape_in_name": VALID.replace("name: ok", 'name: "o\\a\\ek"'),
    "huge_list": VALID + "extra: [" + ", ".join(["1"] * 5_000) + "]\n",
    "many_keys": VALID + "".join(f"k{i}: {i}\n" for i in range(3000)),
    # --- numbers -------------------------------------------------------------------------
    "integer_400_digits": value("1" + "0" * 400),
    "negative_integer_400_digits": rate("-" + "9" * 400),
    "integer_400_digits_target": target("9" * 400),
    "float_1e400": value("1e400"),
    "float_minus_1e400": value("-1e400"),
    "float_1e_minus_400": value("1e-400"),
    "denormal_baseline": value("5e-324"),
    "denormal_target": target("5e-324"),
    "denormal_target_small": target("1e-310"),
    "baseline_near_max_float": value("1.7e308"),
    "target_near_max_float": target("1.7e308"),
    "negative_zero_baseline": value("-0.0"),
    "octal_number": value("0o17"),
    "yaml11_octal": value("017"),
    "number_with_comma": value("1,000"),
    "number_with_spaces": value("'1 000'"),
    "nan_percent": rate("'nan%'"),
    "inf_percent": rate("'inf%'"),
    "huge_percent": rate("'1e309%'"),
    "bare_percent_sign": rate("'%'"),
    "double_percent": rate("'50%%'"),
    "percent_with_spaces": rate("' 20 % to 60 % '"),
    "interval_missing_end": rate("'20% to'"),
    "interval_missing_start": rate("'to 60%'"),
    "interval_reversed": rate("60% to 20%"),
    "interval_equal_ends": rate("20% to 20%"),
    "interval_three_parts": rate("20% to 60% to 80%"),
    "interval_mixed_units": rate("20% to 0.6"),
    "growth_minus_100": rate("-100%"),
    "growth_below_minus_100": rate("-150%"),
    "growth_minus_99_9": rate("-99.9%"),
    "growth_zero": rate("0"),
    "growth_as_boolean": rate("yes"),
    "growth_as_list": rate("[1, 2]"),
    "growth_as_null": rate("null"),
    "baseline_interval_extreme": value("1e-300 to 1e300"),
    "baseline_lognormal_sigma_huge": value("{lognormal: {median: 90, sigma: 1e6}}"),
    "baseline_lognormal_median_zero": value("{lognormal: {median: 0, sigma: 1}}"),
    "baseline_lognormal_sigma_negative": value("{lognormal: {median: 90, sigma: -1}}"),
    "normal_sd_zero": rate("{normal: {mean: 0.3, sd: 0}}"),
    "normal_sd_negative": rate("{normal: {mean: 0.3, sd: -0.1}}"),
    "normal_sd_huge": rate("{normal: {mean: 0.3, sd: 1e300}}"),
    "nested_distribution": rate("{normal: {mean: {normal: {mean: 0, sd: 1}}, sd: 0.1}}"),
    "two_families": rate("{normal: {mean: 0.3, sd: 0.1}, uniform: {low: 0, high: 1}}"),
    "family_extra_parameter": rate("{normal: {mean: 0.3, sd: 0.1, skew: 2}}"),
    "family_missing_parameter": rate("{normal: {mean: 0.3}}"),
    "family_empty": rate("{normal: {}}"),
    "family_not_a_mapping": rate("{normal: 5}"),
    "uniform_reversed": rate("{uniform: {low: 1, high: 0}}"),
    "triangular_mode_outside": rate("{triangular: {low: 0, mode: 2, high: 1}}"),
    "pert_all_equal": rate("{pert: {low: 0.2, mode: 0.2, high: 0.2}}"),
    "choice_empty": rate("{choice: {values: [], weights: []}}"),
    "choice_mismatched_weights": rate("{choice: {values: [0.1, 0.2], weights: [1]}}"),
    "choice_negative_weight": rate("{choice: {values: [0.1, 0.2], weights: [1, -1]}}"),
    "choice_zero_weights": rate("{choice: {values: [0.1, 0.2], weights: [0, 0]}}"),
    "choice_huge_values": rate("{choice: {values: ['1e300%', '1e301%'], weights: [1, 1]}}"),
    "volatility_5000_percent": growth("volatility: 5000%"),
    "volatility_1000_percent": growth("volatility: 1000%"),
    "noise_lognormal_sigma_500": growth("noise: {lognormal: {median: 0.1, sigma: 500}}"),
    "noise_negative": growth("noise: -10%"),
    "volatility_interval_extreme": growth("volatility: 1% to 100000%"),
    "growth_1e300_percent": rate("1e300% to 1e302%"),
    "growth_fast_for_a_century": rate("500% to 900%") + "horizon: 2120\n",
    "mean_reversion_half_life_tiny": growth("long_run: 5%, half_life: 1e-300"),
    "mean_reversion_half_life_huge": growth("long_run: 5%, half_life: 1e300"),
    "mean_reversion_without_half_life": growth("long_run: 5%"),
    "long_run_extreme": growth("long_run: 1e200% to 1e250%, half_life: 1"),
    "target_1e300": target("1e300"),
    "target_tiny_against_huge_baseline": value("1e290").replace("value: 1000,", "value: 1e-290,"),
    "target_met_already": target("1"),
    # --- periods -------------------------------------------------------------------------
    "month_13": period("2025-13"),
    "month_00": period("2025-00"),
    "day_in_period": period("2025-02-30"),
    "fiscal_three_years": period("FY2025-27"),
    "year_zero": period("0000"),
    "year_9999": deadline("9999"),
    "negative_year": period("-2025"),
    "slash_years": period("2025/2026"),
    "range_reversed": period("2025-07/2025-01"),
    "range_of_years": period("2024/2025"),
    "deadline_before_baseline": deadline("2024"),
    "deadline_in_baseline": deadline("2025-03"),
    "deadline_right_after_baseline": deadline("2025-08"),
    "horizon_before_deadline": VALID + "horizon: 2027\n",
    "horizon_101_years": VALID + "horizon: 2126\n",
    "as_of_before_baseline": VALID + "as_of: 2020-01\n",
    "as_of_not_a_month": VALID + "as_of: 2020\n",
    "fiscal_year_start_zero": "fiscal_year_start: 0\n" + VALID,
    "fiscal_year_start_float": "fiscal_year_start: 7.5\n" + VALID,
    "century_baseline": period("1925-01/2024-12"),
    # --- structure -----------------------------------------------------------------------
    "countries_empty": "name: x\ncountries: {}\n",
    "countries_list": "name: x\ncountries: [kz]\n",
    "country_null": "name: x\ncountries:\n  kz:\n",
    "country_is_a_string": "name: x\ncountries:\n  kz: big\n",
    "name_missing": VALID.replace("name: ok\n", ""),
    "name_is_a_mapping": VALID.replace("name: ok", "name: {a: 1}"),
    "route_share_negative": ROUTED.replace("{r: 0.5, s: 0.5}", "{r: 1.5, s: -0.5}"),
    "route_shares_off_by_1e_5": ROUTED.replace("{r: 0.5, s: 0.5}", "{r: 0.5, s: 0.50001}"),
    "route_shares_off_by_1e_7": ROUTED.replace("{r: 0.5, s: 0.5}", "{r: 0.5, s: 0.5000001}"),
    "route_unknown": ROUTED.replace("{r: 0.5, s: 0.5}", "{r: 0.5, t: 0.5}"),
    "closed_month_zero": ROUTED.replace("closed_months: [1, 2]", "closed_months: [0]"),
    "closed_month_13": ROUTED.replace("closed_months: [1, 2]", "closed_months: [13]"),
    "closed_every_month": ROUTED.replace(
        "closed_months: [1, 2]", "closed_months: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]"
    ),
    "closed_months_strings": ROUTED.replace("closed_months: [1, 2]", "closed_months: [jan]"),
    "reroute_above_one": ROUTED.replace("reroute: 50%", "reroute: 150%"),
    "event_rate_and_start": event("{routes: [r], rate: 1, start: 2026-01, severity: 1}"),
    "event_neither_rate_nor_start": event("{routes: [r], severity: 1}"),
    "event_no_effect": event("{routes: [r], rate: 1}"),
    "event_severity_without_routes": event("{rate: 1, severity: 1}"),
    "event_unknown_country": event("{countries: [xx], rate: 1, level: 10%}"),
    "event_rate_huge": event("{routes: [r], rate: 1e300, duration: 1, severity: 1}"),
    "event_duration_tiny": event("{routes: [r], rate: 2, duration: 1e-300, severity: 1}"),
    "event_level_1e300_percent": event("{rate: 2, duration: 12, level: 1e300%}"),
    "event_level_stacked_forever": event("{rate: 12, level: 1e20% to 1e30%}"),
    "event_growth_huge": event("{start: 2026-01, growth: 1e100%}"),
    "event_level_minus_100": event("{start: 2026-01, level: -100%}"),
    "event_ramp_negative": event("{start: 2026-01, level: 10%, ramp: -1}"),
    "event_start_range_reversed": event("{start: 2027-01/2026-01, level: 10%}"),
    "event_probability_above_one": event("{start: 2026-01, probability: 2, level: 10%}"),
    "event_in_the_past": event("{start: 2020-01, level: 10%}"),
    "many_events": ROUTED
    + "events:\n"
    + "".join(
        f"  e{i}: {{routes: [r], rate: 1, duration: 1, severity: 50%}}\n" for i in range(400)
    ),
    "too_many_events": ROUTED
    + "events:\n"
    + "".join(f"  e{i}: {{routes: [r], rate: 1, severity: 50%}}\n" for i in range(600)),
    "too_many_countries": "name: x\ncountries:\n"
    + "".join(
        f"  c{i}: {{baseline: {{value: 1, period: 2025}}, target: {{value: 2, by: 2027}}, "
        "growth: {rate: 10%}}\n"
        for i in range(201)
    ),
    "variant_unknown_field": VALID + "variants:\n  v: {countries.kz.growht.rate: 10%}\n",
    "variant_null": VALID + "variants:\n  v:\n",
    "variant_makes_it_invalid": VALID + "variants:\n  v: {countries.kz.target.by: 2020}\n",
    "variant_key_marker": VALID + "variants:\n  v: {'[key]': 1}\n",
    "variant_extreme": VALID + "variants:\n  v: {countries.kz.baseline.value: 1e308}\n",
    "history_values_bad_period": sub(
        "    growth: {rate: 40% to 120%}\n",
        "    growth: {rate: 40% to 120%}\n    history: {values: {20x5: 1}}\n",
    ),
    "history_values_huge": sub(
        "    baseline: {value: 90, period: 2025-01/2025-07}\n",
        "    history: {values: {2023: 1e300, 2024: 1e-300}}\n",
    ),
    "history_file_missing": sub(
        "    growth: {rate: 40% to 120%}\n",
        "    growth: {rate: 40% to 120%}\n    history: {file: missing.csv}\n",
    ),
    "history_file_is_a_device": sub(
        "    growth: {rate: 40% to 120%}\n",
        "    growth: {rate: 40% to 120%}\n    history: {file: /dev/zero}\n",
    ),
    "history_file_is_a_folder": sub(
        "    growth: {rate: 40% to 120%}\n",
        "    growth: {rate: 40% to 120%}\n    history: {file: .}\n",
    ),
    "history_file_is_itself": sub(
        "    growth: {rate: 40% to 120%}\n",
        "    growth: {rate: 40% to 120%}\n    history: {file: history_file_is_itself.yaml}\n",
    ),
    "history_file_escapes": sub(
        "    growth: {rate: 40% to 120%}\n",
        "    growth: {rate: 40% to 120%}\n    history: {file: ../../../../etc/passwd}\n",
    ),
    "history_file_nan_values": sub(
        "    growth: {rate: 40% to 120%}\n",
        "    growth: {rate: 40% to 120%}\n    history: {file: nan_values.csv}\n",
    ),
    "history_file_not_utf8": sub(
        "    growth: {rate: 40% to 120%}\n",
        "    growth: {rate: 40% to 120%}\n    history: {file: latin1.csv}\n",
    ),
    # --- include: the files named are in OTHER_FILES (.yml, so that no glob takes them) ----------
    "include_cycle": VALID + "include: [cycle_b.yml]\n",
    "include_self": VALID + "include: [include_self.yaml]\n",
    "include_missing": VALID + "include: [missing.yml]\n",
    "include_missing_deep": VALID + "include: [includes_missing.yml]\n",
    "include_folder": VALID + "include: [a_folder.yml]\n",
    "include_csv": VALID + "include: [nan_values.csv]\n",
    "include_binary": VALID + "include: [binary.yml]\n",
    "include_text_not_a_mapping": VALID + "include: [csv_text.yml]\n",
    "include_empty_file": VALID + "include: [empty.yml]\n",
    "include_a_scenario": VALID + "include: [valid_minimal.yaml]\n",
    "include_duplicate_name": ROUTED + "include: [routes.yml]\n",
    "include_duplicate_between_files": VALID + "include: [routes.yml, routes_again.yml]\n",
    "include_twice": VALID + "include: [routes.yml, routes.yml]\n",
    "include_deep_error": ROUTED.replace("routes:\n  r:", "include: [deep_a.yml]\nroutes:\n  r:"),
    "include_absolute": VALID + "include: [/etc/passwd.yaml]\n",
    "include_escapes": VALID + "include: [../../../../etc/passwd]\n",
    "include_url": VALID + "include: ['https://example.com/corridors.yaml']\n",
    "include_wildcard": VALID + "include: ['*.yml']\n",
    "include_home": VALID + "include: [~/corridors.yml]\n",
    "include_not_a_list": VALID + "include: routes.yml\n",
    "include_entry_not_text": VALID + "include: [{file: routes.yml}, 7, '']\n",
    "include_changed_by_variant": VALID + "variants:\n  v: {include: [routes.yml]}\n",
    # --- valid edges: these must run --------------------------------------------------------
    "valid_include": ROUTED.replace(
        "routes:\n  r: {closed_months: [1, 2], reroute: 50%}\n  s: {}\n", ""
    )
    + "include: [routes.yml, shocks.yml]\n"
    + "variants:\n  v: {events.shock.rate: 2 to 5, events.shock.severity: 100%}\n",
    "valid_minimal": VALID,
    "valid_one_month_baseline": period("2025-07"),
    "valid_fiscal_years": "fiscal_year_start: 4\n" + period("FY2024-25"),
    "valid_growth_minus_99": rate("-99%"),
    "valid_shares_within_tolerance": ROUTED.replace(
        "{r: 0.5, s: 0.5}", "{r: 0.5, s: 0.5000000001}"
    ),
    "valid_extreme_but_computable": value("1e-250")
    .replace("value: 1000,", "value: 1e-248,")
    .replace("rate: 40% to 120%", "rate: 0% to 900%, volatility: 200%"),
    "valid_long_horizon": VALID + "horizon: 2124\n",
    "valid_unicode_everywhere": VALID.replace("name: ok", "name: Қазақстан–پاکستان 🚚").replace(
        "  kz:", "  kz:\n    label: Қазақстан"
    ),
}

BYTES: dict[str, bytes] = {
    "utf8_bom": b"\xef\xbb\xbf" + VALID.encode(),
    "utf16": VALID.encode("utf-16"),
    "latin1_name": VALID.replace("name: ok", "name: café").encode("latin-1"),
    "invalid_utf8_in_comment": VALID.encode() + b"# \xff\xfe\n",
    "elf_header": b"\x7fELF\x02\x01\x01" + b"\x00" * 64,
    "gzip_header": b"\x1f\x8b\x08\x00" + b"\x00" * 32,
    "only_nul_bytes": b"\x00" * 100,
}

OTHER_FILES = {
    "nan_values.csv": "period,value\n2023,nan\n2024,inf\n",
    "latin1.csv": "period,value\n2024,1\n".encode("latin-1").decode() + "2025,caf\xe9\n",
    # files that the include_* cases name
    "cycle_b.yml": "include: [include_cycle.yaml]\n",
    "includes_missing.yml": "include: [gone.yml]\nevents: {}\n",
    "binary.yml": "routes:\x00\n",
    "csv_text.yml": "period,value\n2023,1\n",
    "empty.yml": "# nothing here\n",
    "routes.yml": "routes:\n  r: {closed_months: [1, 2], reroute: 50%}\n  s: {}\n",
    "routes_again.yml": "routes:\n  s: {reroute: 10%}\n",
    "shocks.yml": "events:\n  shock: {routes: [r], rate: 1 to 3, duration: 1, severity: 60%}\n",
    "deep_a.yml": "description: includes deep_b.yml\ninclude: [deep_b.yml]\n",
    "deep_b.yml": "events:\n  e:\n    routes: [r, nowhere]\n    rate: 1\n    severity: 150%\n",
}
FOLDERS = {"a_folder.yml": "keep.txt"}  # a folder named like a YAML file (git keeps the file)


def main() -> None:
    if CASES.exists():
        shutil.rmtree(CASES)
    CASES.mkdir()
    for name, text in TEXT.items():
        (CASES / f"{name}.yaml").write_text(text, encoding="utf-8", newline="")
    for name, data in BYTES.items():
        (CASES / f"{name}.yaml").write_bytes(data)
    for name, text in OTHER_FILES.items():
        (CASES / name).write_bytes(text.encode("latin-1") if "latin1" in name else text.encode())
    for name, inside in FOLDERS.items():
        (CASES / name).mkdir()
        (CASES / name / inside).write_text("a folder that include_folder.yaml names\n")
    print(f"{len(TEXT) + len(BYTES)} cases in {CASES}")


if __name__ == "__main__":
    main()
