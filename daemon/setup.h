/* setup.h - turn a loaded configuration into live objects: credentials, relay addresses. */
#ifndef TURND_SETUP_H
#define TURND_SETUP_H

#include "auth.h"
#include "config.h"
#include "turn.h"

/* Build the credential store from the auth section (users, users file, secret). NULL on error (logged). */
struct auth *setup_auth(const struct turnd_config *c);
/* Resolve relay.address = "auto" through rtnetlink; 0 or -errno (logged). */
int setup_relay_addrs(struct relay_cfg *r);
/* The core's parameters from the config (strings borrowed from c). */
void setup_turn_params(const struct turnd_config *c, struct turn_params *p);

#endif
