#!/bin/sh
# Prints, one a line, the Debian packages among the arguments that are not installed. A
# package counts only when dpkg-query's ${Status} ends in "ok installed" ("install ok
# installed", or held: "hold ok installed"). `dpkg -s` also succeeds for a package that was
# removed but left its configuration files behind ("deinstall ok config-files"), which has
# no binaries, and for one half-installed or half-configured: those are missing here.
for package in "$@"; do
  case "$(dpkg-query -W -f='${Status}' "$package" 2>/dev/null)" in
    *" ok installed") ;;
    *) printf '%s\n' "$package" ;;
  esac
done
