function __gql-mutate_should_offer_completions_for_flags_or_options -a expected_commands
    set -l non_repeating_flags_or_options $argv[2..]
    set -l non_repeating_flags_or_options_absent 0
    set -l positional_index 0
    set -l commands
    __gql-mutate_parse_tokens
    test "$commands" = "$expected_commands"; and return $non_repeating_flags_or_options_absent
end

function __gql-mutate_should_offer_completions_for_positional -a expected_commands positional_index_comparison expected_positional_index
    set -l non_repeating_flags_or_options
    set -l non_repeating_flags_or_options_absent 0
    set -l positional_index 0
    set -l commands
    __gql-mutate_parse_tokens
    test "$commands" = "$expected_commands" -a \( "$positional_index" "$positional_index_comparison" "$expected_positional_index" \)
end

function __gql-mutate_parse_tokens -S
    set -l unparsed_tokens (__gql-mutate_tokens -pc)
    switch $unparsed_tokens[1]
    case 'gql-mutate'
        __gql-mutate_parse_subcommand 0 'v/verbose' 'q/quiet' 'log-format=' 'endpoint=' 'op=' 'status=' 'query=' 'query-file=' 'var=+' 'merge=+' 'at-end' 'field=+' 'H/header=+' 'dry-run' 'batch=' 'timeout=' 'attempts=' 'version' 'h/help'
        switch $unparsed_tokens[1]
        case 'help'
            __gql-mutate_parse_subcommand -r 1 'version'
        end
    end
end

function __gql-mutate_tokens
    if test (string split -m 1 -f 1 -- . "$FISH_VERSION") -gt 3
        commandline --tokens-raw $argv
    else
        commandline -o $argv
    end
end

function __gql-mutate_parse_subcommand -S -a positional_count
    argparse -s r -- $argv
    set -l option_specs $argv[2..]
    set -l is_repeating_positional $_flag_r
    set -el _flag_r
    set -a commands $unparsed_tokens[1]
    set positional_index 0
    while true
        set -e unparsed_tokens[1]
        argparse -sn "$commands" $option_specs -- $unparsed_tokens 2> /dev/null
        set unparsed_tokens $argv
        set positional_index (math $positional_index + 1)
        for non_repeating_flag_or_option in $non_repeating_flags_or_options
            if set -ql "_flag_$(string replace -a - _ -- $non_repeating_flag_or_option)"
                set non_repeating_flags_or_options_absent 1
                break
            end
        end
        test (count $unparsed_tokens) -eq 0 -o \( -z "$is_repeating_positional" -a "$positional_index" -gt "$positional_count" \) && break
    end
end

function __gql-mutate_complete_directories
    set -l token (commandline -t)
    string match -- '*/' $token
    set -l subdirs $token*/
    printf %s\n $subdirs
end

function __gql-mutate_custom_completion
    set -x SAP_SHELL fish
    set -x SAP_SHELL_VERSION $FISH_VERSION
    set -l tokens (__gql-mutate_tokens -p)
    if test -z "$(__gql-mutate_tokens -t)"
        set -l index (count (__gql-mutate_tokens -pc))
        set tokens $tokens[..$index] \'\' $tokens[(math $index + 1)..]
    end
    command $tokens[1] $argv $tokens
end

complete -c 'gql-mutate' -f
complete -c 'gql-mutate' -n '__gql-mutate_should_offer_completions_for_flags_or_options "gql-mutate" v verbose' -l 'verbose' -s 'v' -d 'Say more on stderr: every step, with timings.'
complete -c 'gql-mutate' -n '__gql-mutate_should_offer_completions_for_flags_or_options "gql-mutate" q quiet' -l 'quiet' -s 'q' -d 'Say only errors on stderr.'
complete -c 'gql-mutate' -n '__gql-mutate_should_offer_completions_for_flags_or_options "gql-mutate" log-format' -l 'log-format' -d 'How stderr lines look: text (tool: message) or json (one object per line). Default: $CLIPLINE_LOG_FORMAT, else text.' -rfka 'text json'
complete -c 'gql-mutate' -n '__gql-mutate_should_offer_completions_for_flags_or_options "gql-mutate" endpoint' -l 'endpoint' -d 'The GraphQL endpoint URL (default: $GRAPHQL_ENDPOINT).' -rfka ''
complete -c 'gql-mutate' -n '__gql-mutate_should_offer_completions_for_flags_or_options "gql-mutate" op' -l 'op' -d 'A built-in operation (see BUILT-IN OPERATIONS).' -rfka 'create-chunk set-status'
complete -c 'gql-mutate' -n '__gql-mutate_should_offer_completions_for_flags_or_options "gql-mutate" status' -l 'status' -d 'The status --op set-status sets.' -rfka 'PROCESSING COMPLETED FAILED'
complete -c 'gql-mutate' -n '__gql-mutate_should_offer_completions_for_flags_or_options "gql-mutate" query' -l 'query' -d 'The operation\'s document.' -rfka ''
complete -c 'gql-mutate' -n '__gql-mutate_should_offer_completions_for_flags_or_options "gql-mutate" query-file' -l 'query-file' -d 'A file holding the operation\'s document.' -rfa '(set -l exts \'graphql\' \'gql\';for p in (string match -e -- \'*/\' (commandline -t);or printf \n)*.{$exts};printf %s\n $p;end;__fish_complete_directories (commandline -t) \'\')'
complete -c 'gql-mutate' -n '__gql-mutate_should_offer_completions_for_flags_or_options "gql-mutate"' -l 'var' -d 'name=field.path, name=field.path // DEFAULT_JSON, or name:=JSON.' -rfka ''
complete -c 'gql-mutate' -n '__gql-mutate_should_offer_completions_for_flags_or_options "gql-mutate"' -l 'merge' -d 'field=data.path: a response value to write into the record.' -rfka ''
complete -c 'gql-mutate' -n '__gql-mutate_should_offer_completions_for_flags_or_options "gql-mutate" at-end' -l 'at-end' -d 'Send one operation after the input ends instead of one per record.'
complete -c 'gql-mutate' -n '__gql-mutate_should_offer_completions_for_flags_or_options "gql-mutate"' -l 'field' -d 'With --at-end: a field for the operation\'s record, name=text or name:=JSON.' -rfka ''
complete -c 'gql-mutate' -n '__gql-mutate_should_offer_completions_for_flags_or_options "gql-mutate"' -s 'H' -l 'header' -d 'An extra request header, "Name: value" (as curl -H).' -rfka ''
complete -c 'gql-mutate' -n '__gql-mutate_should_offer_completions_for_flags_or_options "gql-mutate" dry-run' -l 'dry-run' -d 'Say each operation and its variables on stderr, mark records "dry_run": true; send nothing.'
complete -c 'gql-mutate' -n '__gql-mutate_should_offer_completions_for_flags_or_options "gql-mutate" batch' -l 'batch' -d 'Operations per request (aliases of one document).' -rfka ''
complete -c 'gql-mutate' -n '__gql-mutate_should_offer_completions_for_flags_or_options "gql-mutate" timeout' -l 'timeout' -d 'Time limit of one request (30s, 2m; 1ms to 1h).' -rfka ''
complete -c 'gql-mutate' -n '__gql-mutate_should_offer_completions_for_flags_or_options "gql-mutate" attempts' -l 'attempts' -d 'Attempts per request for temporary failures (transport, 5xx, 429).' -rfka ''
complete -c 'gql-mutate' -n '__gql-mutate_should_offer_completions_for_flags_or_options "gql-mutate" version' -l 'version' -d 'Show the version.'
complete -c 'gql-mutate' -n '__gql-mutate_should_offer_completions_for_flags_or_options "gql-mutate" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'gql-mutate' -n '__gql-mutate_should_offer_completions_for_positional "gql-mutate" -eq 1' -fa 'help' -d 'Show subcommand help information.'
complete -c 'gql-mutate' -n '__gql-mutate_should_offer_completions_for_flags_or_options "gql-mutate help" version' -l 'version' -d 'Show the version.'
