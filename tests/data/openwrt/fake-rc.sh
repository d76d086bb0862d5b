# SPDX-License-Identifier: ISC
# Stand-ins for what /etc/rc.common gives an OpenWrt init script
# (/lib/functions.sh, /lib/functions/procd.sh and rc.common's own
# start/stop/restart), for tests/integration/82-openwrt.sh. Each records
# its call, one line of words, in $FAKE_LOG; logger's input goes to
# $FAKE_SYSLOG. POSIX sh.
rec() { echo "$*" >>"$FAKE_LOG"; }

procd_open_instance() { rec procd_open_instance "$@"; }
procd_set_param() { rec procd_set_param "$@"; }
procd_close_instance() { rec procd_close_instance "$@"; }
procd_send_signal() { rec procd_send_signal "$@"; }
procd_add_reload_trigger() { rec procd_add_reload_trigger "$@"; }
start() { rec start "$@"; }
restart() { rec restart "$@"; }
stop() { rec stop "$@"; stop_service; }
logger() { rec logger "$@"; cat >>"$FAKE_SYSLOG"; }

# config_load PACKAGE: recorded; config_get_bool VAR SECTION OPTION
# DEFAULT sets VAR to 1 or 0 from $UCI_FILE's "option OPTION" (the file
# has one section), DEFAULT when it is not there.
config_load() { rec config_load "$@"; }
config_get_bool() {
	local value
	value=$(sed -n "s/^[[:space:]]*option $3 '\(.*\)'.*/\1/p" "$UCI_FILE")
	case ${value:-$4} in
	1 | yes | on | true | enabled) eval "$1=1" ;;
	*) eval "$1=0" ;;
	esac
}
