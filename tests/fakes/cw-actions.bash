# shellcheck shell=bash
# Helpers of tests/integration/cw_actions_*.sh, sourced after lib.sh.
#
#   build_driver          compiles tests/fakes/cw-action-driver.c with
#                         the action sources into $DRIVER, under ASan
#                         and UBSan so that leaks and overflows fail
#   drive ARGS...         runs $DRIVER -v ARGS (see the driver's header)
#   make_lineage DIR KEYTYPE DOMAIN...  a live/NAME-like folder DIR
#                         (name: its base name) holding a self-signed
#                         cert.pem, chain.pem, fullchain.pem, privkey.pem
#                         for the DOMAINs; KEYTYPE ec or rsa

CW_PKGS="libsystemd libssl libcrypto libcurl jansson"

build_driver() {
	DRIVER=$T/cw-action-driver
	# shellcheck disable=SC2046
	cc -std=gnu11 -D_GNU_SOURCE -DOPENSSL_API_COMPAT=30000 \
	    -DOPENSSL_NO_DEPRECATED -Wall -Wextra -g -O1 \
	    -fsanitize=address,undefined -fno-sanitize-recover=all \
	    -fno-omit-frame-pointer \
	    -I"$TOP/common" -I"$TOP/cert-watch" \
	    $(pkg-config --cflags $CW_PKGS) -o "$DRIVER" \
	    "$TOP/tests/fakes/cw-action-driver.c" \
	    "$TOP"/cert-watch/action*.c "$TOP/cert-watch/verify.c" \
	    "$TOP"/common/*.c $(pkg-config --libs $CW_PKGS) ||
	    fail "the action driver does not build"
}

drive() { "$DRIVER" -v "$@"; }

make_lineage() {
	local dir=$1 type=$2 san="" d
	shift 2
	for d in "$@"; do
		san=${san:+$san,}DNS:$d
	done
	mkdir -p "$dir"
	case $type in
	ec) set -- -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 ;;
	rsa) set -- -newkey rsa:2048 ;;
	*) fail "make_lineage: key type $type" ;;
	esac
	openssl req -x509 "$@" -nodes -days 2 -subj "/CN=${san#DNS:}" \
	    -addext "subjectAltName=$san" -keyout "$dir/privkey.pem.new" \
	    -out "$dir/cert.pem.new" 2>/dev/null ||
	    fail "make_lineage: openssl req failed"
	: >"$dir/chain.pem"
	cp "$dir/cert.pem.new" "$dir/fullchain.pem.new"
	chmod 0600 "$dir/privkey.pem.new"
	mv "$dir/privkey.pem.new" "$dir/privkey.pem"
	mv "$dir/cert.pem.new" "$dir/cert.pem"
	mv "$dir/fullchain.pem.new" "$dir/fullchain.pem"
}
