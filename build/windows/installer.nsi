; The Fusebox installer for Windows (x64), built by scripts/dist.sh with
; makensis from Debian's nsis package:
;   makensis -DVERSION=... -DVIVERSION=a.b.c.d -DEXE=fusebox.exe -DICON=fusebox.ico -DOUTFILE=setup.exe installer.nsi
; Installs fusebox.exe into Program Files\Fusebox with a Start-menu entry
; and an uninstaller (also in Apps & features). The uninstaller keeps the
; user's data dir (%APPDATA%\fusebox) unless asked: it asks, defaulting to
; keep; silently (/S) it keeps it unless given /DELETEDATA.
Target amd64-unicode
!include "MUI2.nsh"
!include "FileFunc.nsh"
!include "LogicLib.nsh"
!include "x64.nsh"

!ifndef VERSION
  !error "pass -DVERSION=..."
!endif

Name "Fusebox"
OutFile "${OUTFILE}"
InstallDir "$PROGRAMFILES64\Fusebox"
InstallDirRegKey HKLM "Software\Fusebox" "InstallDir"
RequestExecutionLevel admin
SetCompressor /SOLID lzma
BrandingText "Fusebox ${VERSION}"

VIProductVersion "${VIVERSION}"
VIAddVersionKey "ProductName" "Fusebox"
VIAddVersionKey "ProductVersion" "${VERSION}"
VIAddVersionKey "FileVersion" "${VERSION}"
VIAddVersionKey "FileDescription" "Fusebox installer"
VIAddVersionKey "CompanyName" "Fusebox"
VIAddVersionKey "LegalCopyright" "Fusebox"

!define MUI_ICON "${ICON}"
!define MUI_UNICON "${ICON}"
!define MUI_FINISHPAGE_RUN "$INSTDIR\fusebox.exe"
!define MUI_FINISHPAGE_RUN_TEXT "Open Fusebox"
!define UNINSTKEY "Software\Microsoft\Windows\CurrentVersion\Uninstall\Fusebox"

!insertmacro MUI_PAGE_DIRECTORY
!insertmacro MUI_PAGE_INSTFILES
!insertmacro MUI_PAGE_FINISH
!insertmacro MUI_UNPAGE_CONFIRM
!insertmacro MUI_UNPAGE_INSTFILES
!insertmacro MUI_LANGUAGE "English"

Function .onInit
  ${IfNot} ${RunningX64}
    MessageBox MB_OK|MB_ICONSTOP "This Fusebox build is for 64-bit Windows (x64)." /SD IDOK
    Abort
  ${EndIf}
  SetRegView 64
FunctionEnd

Section "Fusebox" SecMain
  SetOutPath "$INSTDIR"
  File "/oname=fusebox.exe" "${EXE}"
  WriteUninstaller "$INSTDIR\uninstall.exe"
  WriteRegStr HKLM "Software\Fusebox" "InstallDir" "$INSTDIR"
  WriteRegStr HKLM "Software\Fusebox" "Version" "${VERSION}"

  SetShellVarContext all
  CreateDirectory "$SMPROGRAMS\Fusebox"
  CreateShortCut "$SMPROGRAMS\Fusebox\Fusebox.lnk" "$INSTDIR\fusebox.exe" "" "$INSTDIR\fusebox.exe" 0
  CreateShortCut "$SMPROGRAMS\Fusebox\Uninstall Fusebox.lnk" "$INSTDIR\uninstall.exe"

  WriteRegStr HKLM "${UNINSTKEY}" "DisplayName" "Fusebox"
  WriteRegStr HKLM "${UNINSTKEY}" "DisplayVersion" "${VERSION}"
  WriteRegStr HKLM "${UNINSTKEY}" "Publisher" "Fusebox"
  WriteRegStr HKLM "${UNINSTKEY}" "DisplayIcon" "$INSTDIR\fusebox.exe"
  WriteRegStr HKLM "${UNINSTKEY}" "InstallLocation" "$INSTDIR"
  WriteRegStr HKLM "${UNINSTKEY}" "UninstallString" '"$INSTDIR\uninstall.exe"'
  WriteRegStr HKLM "${UNINSTKEY}" "QuietUninstallString" '"$INSTDIR\uninstall.exe" /S'
  WriteRegDWORD HKLM "${UNINSTKEY}" "NoModify" 1
  WriteRegDWORD HKLM "${UNINSTKEY}" "NoRepair" 1
  ${GetSize} "$INSTDIR" "/S=0K" $0 $1 $2
  WriteRegDWORD HKLM "${UNINSTKEY}" "EstimatedSize" "$0"
SectionEnd

Function un.onInit
  SetRegView 64
FunctionEnd

Section "Uninstall"
  Delete "$INSTDIR\fusebox.exe"
  Delete "$INSTDIR\uninstall.exe"
  RMDir "$INSTDIR"
  SetShellVarContext all
  Delete "$SMPROGRAMS\Fusebox\Fusebox.lnk"
  Delete "$SMPROGRAMS\Fusebox\Uninstall Fusebox.lnk"
  RMDir "$SMPROGRAMS\Fusebox"
  DeleteRegKey HKLM "${UNINSTKEY}"
  DeleteRegKey HKLM "Software\Fusebox"

  ; The data dir is the user's: kept unless asked.
  SetShellVarContext current
  ${GetParameters} $R0
  ClearErrors
  ${GetOptions} $R0 "/DELETEDATA" $R1
  ${IfNot} ${Errors}
    RMDir /r "$APPDATA\fusebox"
  ${ElseIf} ${FileExists} "$APPDATA\fusebox\*.*"
    MessageBox MB_YESNO|MB_ICONQUESTION|MB_DEFBUTTON2 "Also delete your Fusebox data in $APPDATA\fusebox (the database, key files and uploads)?$\r$\n$\r$\nChoose No to keep it for a later install." /SD IDNO IDNO keep
      RMDir /r "$APPDATA\fusebox"
    keep:
  ${EndIf}
SectionEnd
