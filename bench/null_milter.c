/* A null milter on Debian's libmilter, the baseline of bench/milter_load.sh:
 * the same negotiation as nordpii (every command sent, no reply before end
 * of message), keeps nothing and accepts every message, so the cost of
 * Postfix passing mail through a milter is measured apart from nordpii's
 * (the Python one, bench/null_milter.py, costs CPU of its own on this
 * machine). Build: cc -O2 bench/null_milter.c -lmilter -lpthread
 * (-DNULL_MILTER_NO_CONTENT: it asks for no headers and no body)
 * Usage: null_milter PORT */
#include <libmilter/mfapi.h>
#include <stdio.h>
#include <stdlib.h>

#define NR_ALL (SMFIP_NR_CONN | SMFIP_NR_HELO | SMFIP_NR_MAIL | SMFIP_NR_RCPT | SMFIP_NR_DATA | \
                SMFIP_NR_UNKN | SMFIP_NR_EOH | SMFIP_NR_BODY | SMFIP_NR_HDR)

static sfsistat negotiate(SMFICTX *ctx, unsigned long f0, unsigned long f1, unsigned long f2,
                          unsigned long f3, unsigned long *pf0, unsigned long *pf1,
                          unsigned long *pf2, unsigned long *pf3) {
  (void)ctx; (void)f2; (void)f3;
  *pf0 = f0 & SMFIF_ADDHDRS;  /* nordpii asks for header/body changes too; unused here */
  *pf1 = f1 & (NR_ALL | SMFIP_NOHELO | SMFIP_NOUNKNOWN | SMFIP_NODATA | SMFIP_HDR_LEADSPC);
#ifdef NULL_MILTER_NO_CONTENT
  /* Asks for neither headers nor body: what a milter costs Postfix before
   * it streams the message (no content filter can work this way). */
  *pf1 |= f1 & (SMFIP_NOHDRS | SMFIP_NOEOH | SMFIP_NOBODY);
#endif
  *pf2 = *pf3 = 0;
  return SMFIS_CONTINUE;
}
static sfsistat on_connect(SMFICTX *c, char *h, _SOCK_ADDR *a) { (void)c; (void)h; (void)a; return SMFIS_NOREPLY; }
static sfsistat on_envfrom(SMFICTX *c, char **v) { (void)c; (void)v; return SMFIS_NOREPLY; }
static sfsistat on_envrcpt(SMFICTX *c, char **v) { (void)c; (void)v; return SMFIS_NOREPLY; }
static sfsistat on_header(SMFICTX *c, char *n, char *v) { (void)c; (void)n; (void)v; return SMFIS_NOREPLY; }
static sfsistat on_eoh(SMFICTX *c) { (void)c; return SMFIS_NOREPLY; }
static sfsistat on_body(SMFICTX *c, unsigned char *b, size_t n) { (void)c; (void)b; (void)n; return SMFIS_NOREPLY; }
static sfsistat on_eom(SMFICTX *c) { (void)c; return SMFIS_CONTINUE; }

int main(int argc, char **argv) {
  static char conn[64];
  struct smfiDesc d = {"nordpii-bench-null", SMFI_VERSION, SMFIF_ADDHDRS, on_connect, NULL, on_envfrom, on_envrcpt,
                       on_header, on_eoh, on_body, on_eom, NULL, NULL, NULL, NULL, negotiate};
  if (argc != 2) { fprintf(stderr, "usage: null_milter PORT\n"); return 2; }
  snprintf(conn, sizeof conn, "inet:%s@127.0.0.1", argv[1]);
  if (smfi_setconn(conn) == MI_FAILURE || smfi_register(d) == MI_FAILURE) return 1;
  return smfi_main() == MI_SUCCESS ? 0 : 1;
}
