# bash completion for atelier-emit (installed as /usr/share/bash-completion/completions/atelier-emit).
# Self-contained: it needs none of bash-completion's helpers, so `source`-ing it works anywhere.
_atelier_emit() {
  local cur prev
  cur=${COMP_WORDS[COMP_CWORD]}
  prev=${COMP_WORDS[COMP_CWORD-1]}
  local command='' i
  for ((i = 1; i < COMP_CWORD; i++)); do
    case ${COMP_WORDS[i]} in
      validate|doctor|schema|help) command=${COMP_WORDS[i]}; break ;;
    esac
  done

  case $prev in
    -c|--config)
      # Declaration files and folders.
      local f
      COMPREPLY=()
      while IFS= read -r f; do
        if [[ -d $f || $f == *.yaml || $f == *.yml || $f == *.toml || $f == *.json ]]; then COMPREPLY+=("$f"); fi
      done < <(compgen -f -- "$cur")
      compopt -o filenames 2>/dev/null || true  # outside a completion (a test) compopt fails
      return ;;
    --out-file)
      mapfile -t COMPREPLY < <(compgen -f -- "$cur")
      compopt -o filenames 2>/dev/null || true  # outside a completion (a test) compopt fails
      return ;;
    --stdin-format)
      mapfile -t COMPREPLY < <(compgen -W 'yaml toml json' -- "$cur")
      return ;;
    -o|--out|--root)
      mapfile -t COMPREPLY < <(compgen -d -- "$cur")
      compopt -o filenames 2>/dev/null || true  # outside a completion (a test) compopt fails
      return ;;
    --format)
      mapfile -t COMPREPLY < <(compgen -W 'text markdown json' -- "$cur")
      return ;;
    --only)
      # A comma-separated list: complete the last name.
      local done=${cur%"${cur##*,}"}
      mapfile -t COMPREPLY < <(compgen -P "$done" -W 'systemd caddy backup manifest' -- "${cur##*,}")
      compopt -o nospace 2>/dev/null || true  # outside a completion (a test) compopt fails
      return ;;
  esac

  local options
  case $command in
    validate) options='-c --config --stdin-format --json -h --help' ;;
    doctor) options='-c --config --stdin-format --root --json -h --help' ;;
    schema) options='-h --help' ;;
    help) mapfile -t COMPREPLY < <(compgen -W 'validate doctor schema' -- "$cur"); return ;;
    *) options='-V --version -c --config --stdin-format -o --out --dry-run --check --json --format --only --prune --force --apply --health-timeout --rollback-on-failure --out-file --no-color -h --help' ;;
  esac
  if [[ $cur == -* || -n $command ]]; then
    mapfile -t COMPREPLY < <(compgen -W "$options" -- "$cur")
  else
    mapfile -t COMPREPLY < <(compgen -W "validate doctor schema help $options" -- "$cur")
  fi
}
complete -F _atelier_emit atelier-emit
