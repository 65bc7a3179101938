/*
 * cert-watch: placeholder entry point, replaced by the daemon.
 */
int
main(void)
{
	return 2;
}
