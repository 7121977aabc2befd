# check NAME COMMAND...: prints "ok - $CHECK_AREA: NAME" when COMMAND succeeds, else "not ok - ..." (Tests/deploy/run
# counts these lines). COMMAND says on stderr what it found wrong.
check() {
  local name=$1; shift
  if "$@"; then echo "ok - $CHECK_AREA: $name"; else echo "not ok - $CHECK_AREA: $name"; fi
}
