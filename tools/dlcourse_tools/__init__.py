"""The course's build tools, beside the `dlcourse` package and not shipped in it.

`python -m dlcourse_tools bench conv|site|pipeline|lessons` measures; `python -m dlcourse_tools record
experiments|offline-model|language-model|site-classifier` rebuilds a record or model shipped in
`dlcourse`; `python -m dlcourse_tools colab ...` keeps Colab's package list and builds and runs the
Colab twin (`dlcourse_tools.colab`); `dlcourse_tools.site` builds the site (MkDocs hooks and theme);
`dlcourse_tools.notebooks` executes the lessons.
"""
