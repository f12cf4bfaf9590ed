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
  -p, --project <tsconfig>            Load the project from this tsconfig
  -f, --format <stylish|json|sarif|github>
                                      Output format (default: stylish)
  -o, --output-file <file>            Write the report to a file instead of stdout
      --fix                           Apply safe fixes and write the files
      --max-warnings <n>              Exit 1 when there are more than n warnings
      --rule <id:severity>            Override a rule's severity (repeatable), e.g. --rule lock-across-await:off
  -c, --config <file>                 Use this locksmith.json instead of the nearest one
      --quiet                         Report errors only
      --report-unused-disable-directives
                                      Report locksmith-disable comments that suppress nothing
      --cache                         Only re-analyse what changed since the last run (.locksmithcache)
      --cache-location <path>         Where the cache is kept (a file, or a folder ending in /)
      --timing                        Print where the time went (program, type checker, each rule) on stderr
  -h, --help                          Show this help
  -v, --version                       Show the version

Exit codes: 0 no errors, 1 errors found (or too many warnings), 2 usage, configuration or internal error.`;
