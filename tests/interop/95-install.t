#!/bin/bash
# 95-install.t - make install into a DESTDIR: files, modes, unit paths, a kept config, uninstall.
. "$(dirname "$0")/lib.sh"

[ "$TURND_IMPL" = coturn ] && skip_all "TURND_IMPL=coturn: make install installs turnd"
command -v make >/dev/null || skip_all "make is not installed"

plan 24

D=$T/root
PREFIX=/opt/turnd
# The same build as the rest of the run (make check SAN=1 installs build-san/).
MK=(make -C "$ROOT" --no-print-directory DESTDIR="$D" PREFIX="$PREFIX")
[ "${TURND_SAN:-}" = 1 ] && MK+=(SAN=1)

out=$("${MK[@]}" install 2>&1)
ok $? "make install DESTDIR=$D PREFIX=$PREFIX" || { diag "$out"; abandon "make install failed"; }

for f in sbin/turnd sbin/turnctl; do
	[ -x "$D$PREFIX/$f" ] && [ -f "$D$PREFIX/$f" ]
	ok $? "$PREFIX/$f installed, executable"
done
for f in share/man/man8/turnd.8 share/man/man8/turnctl.8 share/man/man5/turnd.conf.5; do
	[ -f "$D$PREFIX/$f" ]
	ok $? "$PREFIX/$f installed"
done
is "$(stat -c %a "$D/etc/turnd/turnd.conf" 2>&1)" 640 "/etc/turnd/turnd.conf installed, mode 0640"
cmp -s "$ROOT/turnd.conf" "$D/etc/turnd/turnd.conf"
ok $? "the installed config is the bundled turnd.conf"

unit=$D/lib/systemd/system/turnd.service
[ -f "$unit" ]
ok $? "/lib/systemd/system/turnd.service installed"
is "$(grep '^ExecStart=' "$unit")" "ExecStart=$PREFIX/sbin/turnd -c /etc/turnd/turnd.conf" \
	"ExecStart points into PREFIX"
is "$(grep -c '/usr/sbin/' "$unit")" 0 "no /usr/sbin path left in the unit"
like "$(grep '^ExecReload=' "$unit")" 'kill -HUP \$MAINPID' "ExecReload sends SIGHUP"

# The installed daemon validates the installed configuration.
out=$(timeout -k 2 10 "$D$PREFIX/sbin/turnd" --check-config -c "$D/etc/turnd/turnd.conf" 2>&1)
st=$?
is "$st" 0 "installed turnd --check-config on the installed config: exit 0" || diag "$out"
like "$out" 'configuration ok' "and says so"
like "$(timeout 5 "$D$PREFIX/sbin/turnd" -V 2>&1)" '^turnd [0-9]+\.[0-9]+' \
	"turnd -V prints a version"
like "$(timeout 5 "$D$PREFIX/sbin/turnctl" --help 2>&1)" 'usage: turnctl' "turnctl --help"

# The man pages render without a groff warning.
if command -v man >/dev/null; then
	for m in man8/turnd.8 man8/turnctl.8 man5/turnd.conf.5; do
		w=$(man --warnings -l "$D$PREFIX/share/man/$m" 2>&1 >/dev/null)
		is "$w" "" "man --warnings: $m renders cleanly"
	done
else
	for m in 1 2 3; do skip "man is not installed"; done
fi

# A second install keeps the operator's configuration.
echo '# edited by the operator' >>"$D/etc/turnd/turnd.conf"
out=$("${MK[@]}" install 2>&1)
ok $? "make install again" || diag "$out"
like "$(tail -n 1 "$D/etc/turnd/turnd.conf")" 'edited by the operator' \
	"an existing /etc/turnd/turnd.conf is not overwritten"

# Uninstall removes what install put, keeps the configuration.
out=$("${MK[@]}" uninstall 2>&1)
left=$(cd "$D" && find . -type f | sort | tr '\n' ' ')
is "$left" "./etc/turnd/turnd.conf " "make uninstall leaves only the configuration" || diag "$out"

# The default PREFIX is /usr/local.
D2=$T/root2
out=$(make -C "$ROOT" --no-print-directory DESTDIR="$D2" ${TURND_SAN:+SAN=$TURND_SAN} install 2>&1)
[ -x "$D2/usr/local/sbin/turnd" ]
ok $? "make install with the default PREFIX puts turnd in /usr/local/sbin" || diag "$out"
is "$(grep '^ExecStart=' "$D2/lib/systemd/system/turnd.service" 2>&1)" \
	"ExecStart=/usr/local/sbin/turnd -c /etc/turnd/turnd.conf" "and the unit runs it from there"
