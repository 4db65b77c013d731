"""The Add-on Partner API v3: Heroku provisions, changes the plan of and de-provisions resources.

`views` reads the HTTP envelope, `auth` checks the manifest's credentials, `parsing` reads the
body, `services` writes, `grants` gets the resource's OAuth tokens and `calls` records every call.
"""
