# ---- packaging/completion.bash: the fixed part of carilab-cli's bash completion ----------------
_carilab_cli() {
  local cur=${COMP_WORDS[COMP_CWORD]} prev=${COMP_WORDS[COMP_CWORD - 1]}
  COMPREPLY=()
  if ((COMP_CWORD == 1)); then
    COMPREPLY=($(compgen -W "$_carilab_cli_commands" -- "$cur"))
    return
  fi
  local unit=${COMP_WORDS[1]} first=2 subs
  subs=$(_carilab_cli_subcommands "$unit")
  if [ -n "$subs" ]; then
    if ((COMP_CWORD == 2)); then
      COMPREPLY=($(compgen -W "$subs" -- "$cur"))
      return
    fi
    unit="$unit ${COMP_WORDS[2]}"
    first=3
  fi
  # The option whose value is being typed: "--opt VALUE", or "--opt=VALUE", which readline splits
  # into "--opt" "=" "VALUE" when '=' is a word break (bash's default).
  local option="" value=$cur
  if [ "$cur" = = ] && [[ $prev == --* ]]; then
    option=$prev
    value=""
  elif [ "$prev" = = ] && ((COMP_CWORD - 2 >= first)) && [[ ${COMP_WORDS[COMP_CWORD - 2]} == --* ]]; then
    option=${COMP_WORDS[COMP_CWORD - 2]}
  elif [[ $cur == --*=* ]]; then
    option=${cur%%=*}
    value=${cur#*=}
  elif ((COMP_CWORD > first)) && [[ $prev == --* ]]; then
    option=$prev
  fi
  local how=flag
  [ -n "$option" ] && how=$(_carilab_cli_value "$unit $option")
  if [ "$how" = flag ]; then
    if [[ $cur == -* ]]; then
      COMPREPLY=($(compgen -W "$(_carilab_cli_options "$unit")" -- "$cur"))
      return
    fi
    how=$(_carilab_cli_value "$unit positional")
  fi
  local kind=${how%% *} words=""
  [[ $how == *' '* ]] && words=${how#* }
  case $kind in
    words) COMPREPLY=($(compgen -W "$words" -- "$value")) ;;
    dirs) compopt -o filenames 2>/dev/null; COMPREPLY=($(compgen -d -- "$value")) ;;
    files) compopt -o filenames 2>/dev/null; COMPREPLY=($(compgen -W "$words" -- "$value") $(compgen -f -- "$value")) ;;
  esac
}
complete -F _carilab_cli carilab-cli
