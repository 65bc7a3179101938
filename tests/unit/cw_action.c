/*
 * [action NAME] sections: every key, its errors with file:line, the
 * coherence checks, container names, pid files and %d/%n expansion.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cw_action_t.h"
#include "fsutil.h"
#include "verify.h"

static int
try(const char *name, const char *const *kv)
{
	int		 rc;

	action_free(section(name, kv, &rc));
	return rc;
}

static void
test_systemd(void)
{
	const char *const ok[] = { "type=systemd", "unit=nginx.service",
	    "method=restart", "verify=127.0.0.1:443", "verify_timeout=5",
	    "timeout=30s", NULL };
	const char *const nounit[] = { "type=systemd", NULL };
	const char *const badmethod[] = { "type=systemd", "unit=a.service",
	    "method=kick", NULL };
	struct action	*a;
	char		 buf[512];
	FILE		*f;
	int		 rc;

	a = section("nginx", ok, &rc);
	CHECK(rc == 0);
	CHECK(a->restart);
	CHECK_STR(a->verify_host, "127.0.0.1");
	CHECK_STR(a->verify_port, "443");
	CHECK(a->verify_timeout_ms == 5000);
	CHECK(action_timeout_ms(a) == 30000);
	CHECK_STR(action_name(a), "nginx");
	f = fmemopen(buf, sizeof(buf), "w");
	action_describe(a, f);
	fclose(f);
	CHECK(strstr(buf, "restart nginx.service") != NULL);
	CHECK(strstr(buf, "verify 127.0.0.1:443") != NULL);
	action_free(a);

	CHECK(try("n", nounit) == -1);
	CHECK_LOG("t.ini:1: [action n]: type systemd needs unit");
	CHECK(try("n", badmethod) == -1);
	CHECK_LOG("t.ini:4: method = kick: method must be reload or restart");
}

static void
test_common_errors(void)
{
	const char *const notype[] = { "unit=a.service", NULL };
	const char *const badtype[] = { "type=cron", NULL };
	const char *const unknown[] = { "type=exec", "command=true",
	    "colour=blue", NULL };
	const char *const twice[] = { "type=exec", "command=true",
	    "command=false", NULL };
	const char *const foreign[] = { "type=exec", "command=true",
	    "unit=x.service", NULL };
	const char *const v6[] = { "type=exec", "command=true",
	    "verify=[::1]:8443", NULL };
	const char *const v6bare[] = { "type=exec", "command=true",
	    "verify=::1:443", NULL };
	const char *const badport[] = { "type=exec", "command=true",
	    "verify=localhost:99999", NULL };
	const char *const vt[] = { "type=exec", "command=true",
	    "verify_timeout=250ms", NULL };
	const char *const badtime[] = { "type=exec", "command=true",
	    "timeout=soon", NULL };
	struct action	*a;
	int		 rc;

	CHECK(try("n", notype) == -1);
	CHECK_LOG("t.ini:1: [action n]: type is missing");
	CHECK(try("n", badtype) == -1);
	CHECK_LOG("t.ini:2: type = cron: type must be");
	a = action_new("n", "t.ini", 1);
	quiet();
	CHECK(action_set(a, "type", "exex", "t.ini", 2) == -1);
	CHECK(action_finish(a) == 0);
	loud();
	CHECK_LOG("t.ini:2: type = exex: type must be systemd, signal, "
	    "docker or exec (did you mean \"exec\"?)");
	CHECK(strstr(logged(), "missing") == NULL);
	action_free(a);
	CHECK(try("n", unknown) == -1);
	CHECK_LOG("t.ini:4: [action n]: unknown key 'colour'");
	CHECK(try("n", twice) == -1);
	CHECK_LOG("t.ini:4: command: already set at line 3");
	CHECK(try("n", foreign) == -1);
	CHECK_LOG("t.ini:4: unit: not a key of type exec");

	a = section("n", v6, &rc);
	CHECK(rc == 0);
	CHECK_STR(a->verify_host, "::1");
	CHECK_STR(a->verify_port, "8443");
	action_free(a);
	CHECK(try("n", v6bare) == -1);
	CHECK_LOG("t.ini:4: verify = ::1:443: an IPv6 address goes in "
	    "brackets");
	CHECK(try("n", badport) == -1);
	CHECK_LOG("t.ini:4: verify = localhost:99999: port must be");
	CHECK(try("n", vt) == -1);
	CHECK_LOG("t.ini:4: verify_timeout: without verify");
	CHECK(try("n", badtime) == -1);
	CHECK_LOG("t.ini:4: timeout = soon: not a duration");
}

static void
test_signal(void)
{
	const char *const ok[] = { "type=signal", "pidfile=/run/nginx.pid",
	    "process=nginx", "signal=SIGUSR1", NULL };
	const char *const dflt[] = { "type=signal", "pidfile=/run/x.pid",
	    "process=x", NULL };
	const char *const badsig[] = { "type=signal", "pidfile=/run/x.pid",
	    "process=x", "signal=BOOM", NULL };
	const char *const relpid[] = { "type=signal", "pidfile=x.pid",
	    "process=x", NULL };
	const char *const slash[] = { "type=signal", "pidfile=/x.pid",
	    "process=/usr/sbin/nginx", NULL };
	const char *const noproc[] = { "type=signal", "pidfile=/x.pid",
	    NULL };
	struct action	*a;
	int		 rc;

	a = section("s", ok, &rc);
	CHECK(rc == 0 && a->signo == SIGUSR1);
	action_free(a);
	a = section("s", dflt, &rc);
	CHECK(rc == 0 && a->signo == SIGHUP);
	action_free(a);
	CHECK(try("s", badsig) == -1);
	CHECK_LOG("t.ini:5: signal = BOOM: unknown signal name");
	CHECK(try("s", relpid) == -1);
	CHECK_LOG("t.ini:3: pidfile = x.pid: must be an absolute path");
	CHECK(try("s", slash) == -1);
	CHECK_LOG("t.ini:4: process = /usr/sbin/nginx: must be a command");
	CHECK(try("s", noproc) == -1);
	CHECK_LOG("t.ini:1: [action s]: type signal needs process");
	CHECK(signal_number("HUP") == SIGHUP);
	CHECK(signal_number("SIGTERM") == SIGTERM);
	CHECK(signal_number("hup") == -1);
	CHECK_STR(signal_name(SIGUSR2), "USR2");
}

static void
test_docker(void)
{
	const char *const ex[] = { "type=docker", "container=mup-nginx-proxy",
	    "docker_action=exec", "exec=nginx  -s\treload",
	    "socket=/tmp/d.sock", "timeout=5", NULL };
	const char *const kill[] = { "type=docker", "container=app",
	    "docker_action=kill", "signal=USR2", NULL };
	const char *const noexec[] = { "type=docker", "container=app",
	    "docker_action=exec", NULL };
	const char *const stray[] = { "type=docker", "container=app",
	    "exec=nginx -s reload", "signal=HUP", NULL };
	const char *const badname[] = { "type=docker",
	    "container=app/../../x", NULL };
	const char *const badact[] = { "type=docker", "container=a",
	    "docker_action=pause", NULL };
	const char *const relsock[] = { "type=docker", "container=a",
	    "socket=docker.sock", NULL };
	struct action	*a;
	int		 rc;

	a = section("d", ex, &rc);
	CHECK(rc == 0 && a->docker_action == DOCKER_EXEC);
	CHECK_STR(a->exec_argv[0], "nginx");
	CHECK_STR(a->exec_argv[1], "-s");
	CHECK_STR(a->exec_argv[2], "reload");
	CHECK(a->exec_argv[3] == NULL);
	CHECK_STR(a->socket, "/tmp/d.sock");
	action_free(a);
	a = section("d", kill, &rc);
	CHECK(rc == 0 && a->docker_action == DOCKER_KILL &&
	    a->signo == SIGUSR2);
	CHECK(a->socket == NULL);
	action_free(a);
	CHECK(try("d", noexec) == -1);
	CHECK_LOG("t.ini:1: [action d]: type docker needs exec");
	CHECK(try("d", stray) == -1);
	CHECK_LOG("t.ini:4: exec: only for docker_action = exec");
	CHECK(try("d", badact) == -1);
	CHECK_LOG("t.ini:4: docker_action = pause: docker_action must be");
	CHECK(try("d", badname) == -1);
	CHECK_LOG("t.ini:3: container = app/../../x: not a container name");
	CHECK(try("d", relsock) == -1);
	CHECK_LOG("t.ini:4: socket = docker.sock: must be an absolute");
}

static void
test_container_names(void)
{
	char	 longname[CONTAINER_NAME_MAX + 2];

	CHECK(container_name_valid("mup-nginx-proxy"));
	CHECK(container_name_valid("App_1.frontend"));
	CHECK(container_name_valid("0"));
	CHECK(!container_name_valid(""));
	CHECK(!container_name_valid("-x"));
	CHECK(!container_name_valid(".x"));
	CHECK(!container_name_valid("a/b"));
	CHECK(!container_name_valid("a?b"));
	CHECK(!container_name_valid("a%2fb"));
	CHECK(!container_name_valid("a b"));
	memset(longname, 'a', sizeof(longname) - 1);
	longname[CONTAINER_NAME_MAX] = '\0';
	CHECK(container_name_valid(longname));
	longname[CONTAINER_NAME_MAX] = 'a';
	longname[CONTAINER_NAME_MAX + 1] = '\0';
	CHECK(!container_name_valid(longname));
}

static void
test_exec_and_installs(void)
{
	const char *const ok[] = { "type=exec", "command=echo $X | wc",
	    "per_cert=yes", "install_pem=/etc/haproxy/%n.pem",
	    "install_cert=/c/%d.crt", "install_key=/c/%d.key",
	    "install_group=0", NULL };
	const char *const nocmd[] = { "type=exec", "per_cert=no", NULL };
	const char *const badbool[] = { "type=exec", "command=x",
	    "per_cert=maybe", NULL };
	const char *const badtmpl[] = { "type=exec", "command=x",
	    "install_cert=/c/%s.crt", NULL };
	const char *const reltmpl[] = { "type=exec", "command=x",
	    "install_key=c/%d.key", NULL };
	const char *const dirtmpl[] = { "type=exec", "command=x",
	    "install_key=/c/", NULL };
	const char *const nogroup[] = { "type=exec", "command=x",
	    "install_group=no-such-group-here", NULL };
	const char *const lonegroup[] = { "type=exec", "command=x",
	    "install_cert=/c/%d.crt", "install_group=0", NULL };
	struct action	*a;
	int		 rc;

	a = section("e", ok, &rc);
	CHECK(rc == 0 && a->per_cert && a->install_group == 0);
	CHECK_STR(a->command, "echo $X | wc");
	action_free(a);
	CHECK(try("e", nocmd) == -1);
	CHECK_LOG("t.ini:1: [action e]: type exec needs command");
	CHECK(try("e", badbool) == -1);
	CHECK_LOG("t.ini:4: per_cert = maybe: must be yes or no");
	CHECK(try("e", badtmpl) == -1);
	CHECK_LOG("t.ini:4: install_cert = /c/%s.crt: only %d");
	CHECK(try("e", reltmpl) == -1);
	CHECK_LOG("t.ini:4: install_key = c/%d.key: must be an absolute");
	CHECK(try("e", dirtmpl) == -1);
	CHECK_LOG("t.ini:4: install_key = /c/: must name a file");
	CHECK(try("e", nogroup) == -1);
	CHECK_LOG("t.ini:4: install_group = no-such-group-here: no such");
	CHECK(try("e", lonegroup) == -1);
	CHECK_LOG("t.ini:5: install_group: only for install_key");
}

static void
test_expand(void)
{
	char			 d1[] = "a.example.org";
	char			 d2[] = "*.example.org";
	char			 bad[] = "../../etc";
	char *const		 doms[] = { d1, d2 };
	char *const		 evil[] = { bad };
	struct changed_cert	 c = { "a.example.org", "/l/a", doms, 2 };
	struct changed_cert	 e = { "x", "/l/x", evil, 1 };
	char			**v = NULL;

	CHECK(install_expand("/c/%d.crt", &c, &v) == 0);
	CHECK_STR(v[0], "/c/a.example.org.crt");
	CHECK_STR(v[1], "/c/*.example.org.crt");
	CHECK(v[2] == NULL);
	strv_free(v);
	CHECK(install_expand("/c/%n/%%d-%n.pem", &c, &v) == 0);
	CHECK_STR(v[0], "/c/a.example.org/%d-a.example.org.pem");
	CHECK(v[1] == NULL);
	strv_free(v);
	CHECK(install_expand("/c/fixed.pem", &c, &v) == 0);
	CHECK_STR(v[0], "/c/fixed.pem");
	strv_free(v);
	quiet();
	CHECK(install_expand("/c/%d.crt", &e, &v) == -1);
	loud();
	CHECK_LOG("/c/%d.crt: x: domain ../../etc cannot be part");
	e.ndomains = 0;
	quiet();
	CHECK(install_expand("/c/%d.crt", &e, &v) == -1);
	loud();
	CHECK_LOG("/c/%d.crt: x has no domain for %d");
	e.name = "..";
	quiet();
	CHECK(install_expand("/c/%n.crt", &e, &v) == -1);
	loud();
	CHECK_LOG("name .. cannot be part of a file name");
}

static void
test_sni(void)
{
	char			 w[] = "*.example.org", a[] = "a.example.org";
	char *const		 both[] = { w, a };
	char *const		 wild[] = { w };
	struct changed_cert	 c = { "site", "/l/site", both, 2 };
	char			*sni;

	sni = verify_sni(&c);
	CHECK_STR(sni, "a.example.org");
	free(sni);
	c.domains = wild;
	c.ndomains = 1;
	sni = verify_sni(&c);
	CHECK_STR(sni, "verify.example.org");
	free(sni);
	c.ndomains = 0;
	sni = verify_sni(&c);
	CHECK_STR(sni, "site");
	free(sni);
}

static void
test_pidfile(void)
{
	CHECK(pidfile_parse("1234\n", 5) == 1234);
	CHECK(pidfile_parse("1234", 4) == 1234);
	CHECK(pidfile_parse("2147483647\n", 11) == 2147483647);
	CHECK(pidfile_parse("2147483648", 10) == -1);
	CHECK(pidfile_parse("0\n", 2) == -1);
	CHECK(pidfile_parse("", 0) == -1);
	CHECK(pidfile_parse("\n", 1) == -1);
	CHECK(pidfile_parse("12 \n", 4) == -1);
	CHECK(pidfile_parse(" 12\n", 4) == -1);
	CHECK(pidfile_parse("-12\n", 4) == -1);
	CHECK(pidfile_parse("12\n\n", 4) == -1);
	CHECK(pidfile_parse("1x", 2) == -1);
	CHECK(pidfile_parse("12\0" "3", 4) == -1);
	CHECK(pidfile_parse("99999999999", 11) == -1);
}

int
main(void)
{
	log_setup("cw_action", LOG_DEBUG, false);
	test_systemd();
	test_common_errors();
	test_signal();
	test_docker();
	test_container_names();
	test_exec_and_installs();
	test_expand();
	test_sni();
	test_pidfile();
	return t_done("cw_action");
}
