# bash completion for bpg, the Batch Processing Gateway's command-line
# client.  Installed as share/bash-completion/completions/bpg.
_bpg()
{
	local cur prev words cword
	_init_completion 2>/dev/null || {
		cur=${COMP_WORDS[COMP_CWORD]}
		prev=${COMP_WORDS[COMP_CWORD-1]}
		words=("${COMP_WORDS[@]}")
		cword=$COMP_CWORD
	}
	local cmds="submit status logs delete list spec describe upload version help"
	local global="--url -u --user --cacert --netrc-file -o --output -v --verbose -h --help"
	local cmd="" i
	for ((i = 1; i < cword; i++)); do
		case ${words[i]} in
		--url|-u|--user|--cacert|--netrc-file|-o|--output|--queue|--timeout|--executor|--folder)
			((i++)) ;;
		-*) ;;
		*) cmd=${words[i]}; break ;;
		esac
	done
	case $prev in
	-o|--output) COMPREPLY=($(compgen -W json -- "$cur")); return ;;
	--cacert|--netrc-file) COMPREPLY=($(compgen -f -- "$cur")); return ;;
	--url|-u|--user|--queue|--timeout|--executor|--folder) return ;;
	esac
	local opts=""
	case $cmd in
	"") COMPREPLY=($(compgen -W "$cmds $global" -- "$cur")); return ;;
	help) COMPREPLY=($(compgen -W "$cmds" -- "$cur")); return ;;
	submit) opts="--queue --wait --timeout --follow-log --progress" ;;
	status) opts="--wait --timeout --progress" ;;
	logs) opts="--executor -f --follow" ;;
	list) opts="--all" ;;
	upload) opts="--folder --progress" ;;
	esac
	if [[ $cur == -* ]]; then
		COMPREPLY=($(compgen -W "$opts $global" -- "$cur"))
	elif [[ $cmd == submit ]]; then
		COMPREPLY=($(compgen -f -X '!*.@(json|yaml|yml)' -- "$cur") $(compgen -d -- "$cur"))
	elif [[ $cmd == upload ]]; then
		COMPREPLY=($(compgen -f -- "$cur"))
	fi
}
complete -F _bpg bpg
