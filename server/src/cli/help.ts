// `locksmith --help` (also `locksmith lint --help`: most of it is lint's options).
export const HELP = `Usage: locksmith <command> [options]

Commands:
  lint [paths..]     Analyse TypeScript files and report locking mistakes (default command)
  rules              List the rules with a one-line description and their docs
  init [--force]     Write a commented starter locksmith.json in the current folder
  graph [paths..]    Print the lock-order graph [-p tsconfig] [--format dot|mermaid|json]
  locks [paths..]    List the locks Locksmith recognises and the project's own lock helpers [--format text|json]
  runtime vendor     Copy the single-file runtime into the project [--out path]
  help               Show this help

Options for lint:
  -p, --project <tsconfig|dir|glob>   Load the project from this tsconfig; repeat it (or use a glob such as
                                      'packages/*/tsconfig.json') to analyse several tsconfigs as one program.
                                      Without it, a monorepo (package.json workspaces, pnpm-workspace.yaml, a
                                      solution tsconfig) is found from the paths and analysed as one program
  -f, --format <name|path|package>    stylish (default), json, sarif, github, or an ESLint formatter: a file, or a
                                      package (<name>, eslint-formatter-<name>, locksmith-formatter-<name>)
  -o, --output-file <file>            Write the report to this file (its folder is created) instead of stdout
      --fix                           Apply safe fixes and write the files
      --fix-dry-run                   Apply safe fixes in memory only: the fixed text is "output" in --format json
      --fix-type <type,..>            Fix only these ESLint rule types: problem, suggestion, layout, directive
      --stdin                         Lint the text on standard input (use --fix-dry-run to get it fixed)
      --stdin-filename <file>         The file standard input stands for (its tsconfig, configuration, report)
      --max-warnings <n>              Exit 1 when there are more than n warnings (-1: no limit, the default)
      --rule <id:severity>            Override a rule's severity (repeatable), e.g. --rule lock-across-await:off
  -c, --config <file>                 Use this locksmith.json instead of the nearest one
      --print-config <file>           Print the settings that file would be linted with, as JSON, and exit
      --quiet                         Report errors only
      --report-unused-disable-directives
                                      Report locksmith-disable comments that suppress nothing
      --cache                         Only re-analyse what changed since the last run (.locksmithcache)
      --cache-location <path>         Where the cache is kept (a file, or a folder ending in /)
      --timing                        Print where the time went (program, type checker, each rule) on stderr
      --threads <n|off|auto>          Share the file rules between n threads, each building the Program (auto,
                                      the default: every idle core, up to 4, from 300 files; one with --fix or
                                      --cache)
      --color, --no-color             Force colours on or off (else FORCE_COLOR, NO_COLOR, then: on a terminal)
  -h, --help                          Show this help
  -v, --version                       Show the version

Exit codes: 0 no errors, 1 errors found (or too many warnings), 2 usage, configuration or internal error.`;
