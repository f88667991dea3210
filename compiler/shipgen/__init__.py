"""shipgen: a declarative compiler for releases.

One release spec (YAML) per service goes in; validated, linted, platform-native deployment
artifacts come out. The stages live in one module each (see README.md, "How it works"):
load -> validate -> normalize -> facts -> policies -> targets -> write.
"""

__version__ = "0.1.0"
