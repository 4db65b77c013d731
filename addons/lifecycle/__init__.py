"""The add-on lifecycle: where a partner's service meets the portal.

`provisioners` is the interface (provision, change plan, de-provision, rotate and retire
credentials) and its three kinds: the built-in default, a class named in ADDON_PROVISIONER, and
the HTTP provisioner, which sends signed events (`signing`) to the add-on's own service.
`provisioning` runs provisioning, plan changes and de-provisioning, synchronous or pending;
`reporting` tells Heroku what finished (config, actions) with the resource's token; `config`
keeps the stored config in step with Heroku within the manifest's names; `rotation` rotates and
retires credentials; `deadline` fails what Heroku will not wait for and alerts operators;
`logplex` writes lines into the app's log. `services` is what other packages import; `api` is the
portal's API for the add-on's service; `views` are the pages; `tasks` the django-q2 tasks.
"""
