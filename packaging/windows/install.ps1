<#
.SYNOPSIS
  Installs sbc-agent as the Windows service 'sbc-agent' (WinSW), or upgrades it in place.

.DESCRIPTION
  Copies node.exe, the program (dist, node_modules, package.json of this package) and WinSW renamed
  to sbc-agent-service.exe with sbc-agent-service.xml into %ProgramFiles%\sbc-agent; keeps state,
  configuration and logs in %ProgramData%\sbc-agent (SYSTEM and Administrators only); puts an
  'sbc-agent' command on the machine PATH; registers the service (automatic, delayed start,
  restarted on failure). The service is started when the agent is already enrolled; otherwise run
  'sbc-agent setup', which enrolls it and starts the service.

.PARAMETER WinSW
  WinSW-x64.exe (v2.12), downloaded from the WinSW project's releases; check its SHA-256 first.

.EXAMPLE
  PS> .\install.ps1 -WinSW C:\Downloads\WinSW-x64.exe
  PS> sbc-agent setup
#>
#Requires -RunAsAdministrator
[CmdletBinding()]
param(
  [Parameter(Mandatory = $true)] [string] $WinSW,
  [string] $Node = $(if (Get-Command node.exe -ErrorAction SilentlyContinue) { (Get-Command node.exe).Source } else { '' }),
  [string] $Source = (Resolve-Path (Join-Path $PSScriptRoot '..\..')).Path,
  [string] $InstallDir = (Join-Path $env:ProgramFiles 'sbc-agent')
)
$ErrorActionPreference = 'Stop'
$Service = 'sbc-agent'
$Data = Join-Path $env:ProgramData 'sbc-agent'
$Wrapper = Join-Path $InstallDir 'sbc-agent-service.exe'

if (-not (Test-Path $WinSW)) { throw "WinSW not found: $WinSW" }
if ($Node -eq '' -or -not (Test-Path $Node)) { throw 'node.exe (Node.js 20.15 or later) not found: install Node.js or pass -Node C:\path\to\node.exe' }
$version = [version]((& $Node --version).TrimStart('v'))
if ($version -lt [version]'20.15.0') { throw "Node.js $version is too old: sbc-agent needs 20.15 or later" }
foreach ($part in 'dist\src\main.js', 'dist\src\service-host.js', 'node_modules', 'package.json') {
  if (-not (Test-Path (Join-Path $Source $part))) { throw "$Source is not a built sbc-agent package (no $part): run 'npm ci; npm run build' there" }
}

# An upgrade stops the running service first; its registration stays.
$existing = Get-Service -Name $Service -ErrorAction SilentlyContinue
if ($existing -and $existing.Status -ne 'Stopped') {
  & $Wrapper stop
  if ($LASTEXITCODE -ne 0) { throw "'$Wrapper stop' failed ($LASTEXITCODE)" }
}

New-Item -ItemType Directory -Force -Path $InstallDir, (Join-Path $InstallDir 'app'), $Data, (Join-Path $Data 'logs') | Out-Null
Copy-Item -Force $WinSW $Wrapper
Copy-Item -Force (Join-Path $PSScriptRoot 'sbc-agent-service.xml') (Join-Path $InstallDir 'sbc-agent-service.xml')
Copy-Item -Force $Node (Join-Path $InstallDir 'node.exe')
$app = Join-Path $InstallDir 'app'
foreach ($part in 'dist', 'node_modules', 'config') {
  $from = Join-Path $Source $part
  if (Test-Path $from) {
    Remove-Item -Recurse -Force (Join-Path $app $part) -ErrorAction SilentlyContinue
    Copy-Item -Recurse -Force $from (Join-Path $app $part)
  }
}
Copy-Item -Force (Join-Path $Source 'package.json') (Join-Path $app 'package.json')

# The command line tool: sbc-agent.cmd beside node.exe, on the machine PATH.
Set-Content -Encoding ASCII -Path (Join-Path $InstallDir 'sbc-agent.cmd') -Value "@`"%~dp0node.exe`" `"%~dp0app\dist\src\main.js`" %*"
$machinePath = [Environment]::GetEnvironmentVariable('Path', 'Machine')
if (-not (($machinePath -split ';') -contains $InstallDir)) {
  [Environment]::SetEnvironmentVariable('Path', "$machinePath;$InstallDir", 'Machine')
  $env:Path = "$env:Path;$InstallDir"
}

# State holds the agent's private key: SYSTEM (the service) and Administrators only.
& icacls.exe $Data /inheritance:r /grant:r '*S-1-5-18:(OI)(CI)F' '*S-1-5-32-544:(OI)(CI)F' | Out-Null
if ($LASTEXITCODE -ne 0) { throw "icacls on $Data failed ($LASTEXITCODE)" }
$config = Join-Path $Data 'agent.yaml'
if (-not (Test-Path $config)) {
  $example = Join-Path $Source 'config\agent.yaml'
  if (Test-Path $example) { Copy-Item $example $config } else { Set-Content -Encoding UTF8 -Path $config -Value 'log:', '  level: info' }
}

if (-not $existing) {
  & $Wrapper install
  if ($LASTEXITCODE -ne 0) { throw "'$Wrapper install' failed ($LASTEXITCODE)" }
}

if (Test-Path (Join-Path $Data 'agent\hub.json')) {
  & $Wrapper start
  if ($LASTEXITCODE -ne 0) { throw "'$Wrapper start' failed ($LASTEXITCODE)" }
  Write-Host "sbc-agent: installed and started (logs in $Data\logs)"
} else {
  Write-Host "sbc-agent: installed. Enroll and start it with:  sbc-agent setup"
}
