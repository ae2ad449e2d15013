/*
 * Base64, standard alphabet (RFC 4648 section 4).  Table-driven and
 * branch-light; the decoder makes one pass and never reads past len.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>

#include "bpg_base64.h"

static const char enc_tab[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/* 0..63 for alphabet bytes, B64_WS for white space, B64_PAD, B64_BAD. */
#define B64_BAD 0xff
#define B64_WS 0xfe
#define B64_PAD 0xfd

static unsigned char
dec_class(unsigned char ch)
{
	if (ch >= 'A' && ch <= 'Z')
		return (unsigned char)(ch - 'A');
	if (ch >= 'a' && ch <= 'z')
		return (unsigned char)(ch - 'a' + 26);
	if (ch >= '0' && ch <= '9')
		return (unsigned char)(ch - '0' + 52);
	switch (ch) {
	case '+':
		return 62;
	case '/':
		return 63;
	case '=':
		return B64_PAD;
	case ' ':
	case '\t':
	case '\r':
	case '\n':
	case '\v':
	case '\f':
		return B64_WS;
	default:
		return B64_BAD;
	}
}

enum bpg_err
bpg_base64_decode(const char *in, size_t len, unsigned char **out,
    size_t *outlen)
{
	unsigned char *buf, *p;
	uint32_t acc = 0;
	size_t i, ngroup = 0, npad = 0;

	*out = NULL;
	*outlen = 0;
	if (in == NULL && len != 0)
		return BPG_EINVAL;
	/* Every 4 input bytes give at most 3; +3 for a partial group, +1
	 * for the NUL. */
	if ((buf = malloc(len / 4 * 3 + 4)) == NULL)
		return BPG_ENOMEM;
	p = buf;
	for (i = 0; i < len; i++) {
		unsigned char v = dec_class((unsigned char)in[i]);

		if (v == B64_WS)
			continue;
		if (v == B64_BAD)
			goto bad;
		if (v == B64_PAD) {
			npad++;
			continue;
		}
		if (npad > 0)
			goto bad;	/* data after padding */
		acc = acc << 6 | v;
		if (++ngroup == 4) {
			*p++ = (unsigned char)(acc >> 16);
			*p++ = (unsigned char)(acc >> 8);
			*p++ = (unsigned char)acc;
			acc = 0;
			ngroup = 0;
		}
	}
	/*
	 * A final group of 2 or 3 characters carries 1 or 2 bytes; if it is
	 * padded, the padding must complete it to 4.
	 */
	switch (ngroup) {
	case 0:
		if (npad != 0)
			goto bad;
		break;
	case 2:
		if (npad != 0 && npad != 2)
			goto bad;
		*p++ = (unsigned char)(acc >> 4);
		break;
	case 3:
		if (npad != 0 && npad != 1)
			goto bad;
		*p++ = (unsigned char)(acc >> 10);
		*p++ = (unsigned char)(acc >> 2);
		break;
	default:
		goto bad;
	}
	*p = '\0';
	*out = buf;
	*outlen = (size_t)(p - buf);
	return BPG_OK;
bad:
	free(buf);
	return BPG_EINVAL;
}

enum bpg_err
bpg_base64_encode(const unsigned char *in, size_t len, char **out,
    size_t *outlen)
{
	size_t i, n;
	char *buf, *p;

	*out = NULL;
	if (outlen != NULL)
		*outlen = 0;
	if (len / 3 >= (SIZE_MAX - 5) / 4)
		return BPG_ETOOBIG;
	n = (len + 2) / 3 * 4;
	if ((buf = malloc(n + 1)) == NULL)
		return BPG_ENOMEM;
	p = buf;
	for (i = 0; i + 2 < len; i += 3) {
		uint32_t v = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8 |
		    in[i + 2];

		*p++ = enc_tab[v >> 18 & 63];
		*p++ = enc_tab[v >> 12 & 63];
		*p++ = enc_tab[v >> 6 & 63];
		*p++ = enc_tab[v & 63];
	}
	if (len - i == 1) {
		uint32_t v = (uint32_t)in[i] << 16;

		*p++ = enc_tab[v >> 18 & 63];
		*p++ = enc_tab[v >> 12 & 63];
		*p++ = '=';
		*p++ = '=';
	} else if (len - i == 2) {
		uint32_t v = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8;

		*p++ = enc_tab[v >> 18 & 63];
		*p++ = enc_tab[v >> 12 & 63];
		*p++ = enc_tab[v >> 6 & 63];
		*p++ = '=';
	}
	*p = '\0';
	*out = buf;
	if (outlen != NULL)
		*outlen = n;
	return BPG_OK;
}
