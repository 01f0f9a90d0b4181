# shellcheck shell=bash
# Progress for `dotnet test --output detailed`: source it, then pipe the test output through
#
#   test_progress COUNTS_FILE
#
# COUNTS_FILE holds `--list-tests` output (one test name per line), so the filter knows how many
# tests each class has. It prints one line per finished test class (its tests, its wall time from
# the first test's start to the last one's end, and how many classes are done), every failure
# line as it comes, the run summary, and at the end the ten slowest classes. The full detailed
# output still goes to the log that test.sh keeps.

# "Latchkey.Tests.Features.Tokens.KeyRotationTests_Sqlite.Some_test(arg: "x.y")" -> class name.
_test_progress_awk='
function class_of(name,   i) {
    sub(/\(.*/, "", name)
    i = match(name, /\.[^.]*$/)
    return i ? substr(name, 1, i - 1) : name
}
function short(cls) { sub(/^Latchkey\.Tests\.Features\./, "", cls); return cls }
# "(964ms)", "(1s 234ms)", "(2m 01s 092ms)", "(1h 02m 03s 004ms)" -> seconds
function seconds(text,   n, parts, i, total, v) {
    total = 0
    n = split(text, parts, " ")
    for (i = 1; i <= n; i++) {
        v = parts[i]
        if (v ~ /ms$/) { sub(/ms$/, "", v); total += v / 1000 }
        else if (v ~ /h$/) { sub(/h$/, "", v); total += v * 3600 }
        else if (v ~ /m$/) { sub(/m$/, "", v); total += v * 60 }
        else if (v ~ /s$/) { sub(/s$/, "", v); total += v }
    }
    return total
}
FNR == NR {
    if ($0 ~ /^  Latchkey\./) { c = class_of(substr($0, 3)); if (!(c in expected)) classes++; expected[c]++ }
    next
}
{
    now = $0; sub(/\t.*/, "", now); now += 0
    line = $0; sub(/^[^\t]*\t/, "", line)
    if (line ~ /^(passed|failed|skipped) Latchkey\./) {
        outcome = line; sub(/ .*/, "", outcome)
        name = line; sub(/^[a-z]+ /, "", name)
        duration = 0
        if (match(name, / \([0-9][0-9hms ]*\)$/)) {
            duration = seconds(substr(name, RSTART + 2, RLENGTH - 3))
            name = substr(name, 1, RSTART - 1)
        }
        c = class_of(name)
        if (!(c in seen)) { seen[c] = 1; first[c] = now - duration }
        if (now - duration < first[c]) first[c] = now - duration
        last[c] = now
        count[c]++
        printing_failure = outcome == "failed"
        if (printing_failure) { failures[c]++; print line; fflush() }
        if (count[c] == expected[c]) report(c)
        next
    }
    if (line ~ /Test run summary|^  (total|failed|succeeded|skipped|duration):|^(error|Error|Unhandled)/) { print line; fflush() }
    if (printing_failure) { print line; next }
}
function report(c,   span, note) {
    if (c in reported) return
    reported[c] = 1; done++
    span = last[c] - first[c]
    note = failures[c] ? sprintf(", %d FAILED", failures[c]) : ""
    printf "[test] %-60s %4d tests %7.1f s  (%d/%d classes)%s\n", short(c), count[c], span, done, classes, note
    fflush()
    spans[c] = span
}
END {
    for (c in seen) report(c)
    n = 0
    for (c in spans) { n++; order[n] = c }
    for (i = 2; i <= n; i++) { c = order[i]; j = i - 1; while (j > 0 && spans[order[j]] < spans[c]) { order[j + 1] = order[j]; j-- } order[j + 1] = c }
    if (n > 0) print "[test] slowest classes (wall time):"
    for (i = 1; i <= n && i <= 10; i++) printf "[test]   %7.1f s  %s\n", spans[order[i]], short(order[i])
}'

test_progress() {
    local counts="$1"
    while IFS= read -r line; do
        printf '%s\t%s\n' "$EPOCHREALTIME" "$line"
    done | awk "$_test_progress_awk" "$counts" -
}
